/**
 * Lambda's Python runtimes: the OS each runs on, and the date AWS ends its support. Dates move; refresh them
 * with each release from the Lambda runtimes page.
 */
export interface PythonRuntime {
    version: string;
    os: 'Amazon Linux 2' | 'Amazon Linux 2023';
    /** The highest glibc of the OS, which bounds the manylinux wheels it can load. */
    glibc: [major: number, minor: number];
    /** ISO date from which AWS no longer supports the runtime. */
    deprecation: string;
}
export declare const PYTHON_RUNTIMES: readonly PythonRuntime[];
export declare function findRuntime(version: string): PythonRuntime | undefined;
/** A warning for a runtime past its deprecation date on `today`, else undefined. */
export declare function deprecationWarning(runtime: PythonRuntime, today: Date): string | undefined;
