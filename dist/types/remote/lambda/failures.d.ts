/**
 * What each of Lambda's answers to Invoke that is the function's infrastructure, not the job, means, and what fixes
 * it: the errors of Invoke in botocore's lambda model (service-2.json, 2015-03-31) with their documentation, and the
 * Lambda Developer Guide's "Troubleshoot networking issues in Lambda" and "Configuring file system access". Under
 * `engine: auto` each of these falls back to an instance (the job never started: nothing is written); under
 * `engine: lambda` it is the run's one error.
 */
/** The cause and fix of an infrastructure failure of the function, by the error's name; undefined for any other. */
export declare function functionFailure(name: string): {
    cause: string;
    fix: string;
} | undefined;
/** The names of every failure above: the test bed and the tests check each. */
export declare const FUNCTION_FAILURES: string[];
