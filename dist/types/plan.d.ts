/** The plan a run would carry out, as lines a person reads. Pure: no AWS, no files. */
import type { Config } from './config/types.js';
export declare function describePlan(config: Config): string[];
