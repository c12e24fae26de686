import type { OpenExecutor } from './executor.js';
export declare const openExecutor: OpenExecutor;
