/**
 * The instance engine behind the seam (executor.ts): the run's one instance, borrowed, reused warm or launched
 * (session.ts), sized from the plan's bytes (sizing.ts) and started the moment the executor is opened, so that it
 * boots while the job is staged; each job runs on it through SSM (run-job.ts).
 */
import type { OpenExecutor } from '../executor.js';
export declare const openInstance: OpenExecutor;
