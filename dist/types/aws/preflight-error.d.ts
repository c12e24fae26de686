/** The error of every check that runs before an instance exists (preflight.ts and the checks it calls). */
import { EfsyncError } from '../core/errors.js';
export declare class PreflightError extends EfsyncError {
}
