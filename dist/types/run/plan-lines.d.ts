import type { Config } from '../config/types.js';
export declare function describePlan(config: Config): string[];
