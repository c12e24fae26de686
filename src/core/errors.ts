/**
 * The base of every error efsync raises on purpose: its message is written for the user, complete, and safe to
 * print (no secret, no presigned URL). Anything else that reaches the top is an unexpected error.
 */
export class EfsyncError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The message of anything thrown, for a log line or an error of our own. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}

/** The error of every check made before any work is sent (remote/preflight/): one message with the fix. */
export class PreflightError extends EfsyncError {}
