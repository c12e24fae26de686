import type { Compile } from '../config/types.js';
import { EfsyncError } from '../core/errors.js';
export declare class BytecodeError extends EfsyncError {
}
/** An interpreter of the target version, as found. */
export interface Interpreter {
    /** Absolute path of the executable (its sys.executable). */
    executable: string;
    /** Its full version, e.g. 3.11.7, for the log. */
    version: string;
    /** Where it was found, e.g. "python3.11 on PATH", for the log. */
    source: string;
}
/** One place to look: a command (a name on PATH or a path) and how the log names it. */
export interface Candidate {
    command: string;
    source: string;
}
/** The system's ways to look; tests replace them. */
export interface Finder {
    env: Readonly<Record<string, string | undefined>>;
    /** Runs the command with the arguments; its stdout, or undefined when it does not run or exits non-zero. */
    run: (command: string, args: string[], timeoutMs?: number) => Promise<string | undefined>;
    /** The entries of a directory, [] when there is none. */
    list: (dir: string) => string[];
}
/** Prints the interpreter's X.Y.Z and sys.executable, one per line. */
export declare const PROBE_CODE = "import sys; print(\"%d.%d.%d\" % sys.version_info[:3]); print(sys.executable)";
/** X.Y.Z versions, newest first ("3.11.10" before "3.11.9"); anything else sorts last. */
export declare function newestFirst(versions: readonly string[]): string[];
/**
 * The places an interpreter of X.Y may be, in order: python3.X and python3 on PATH, setup-python's
 * `$pythonLocation`, then the runner's tool cache (`$RUNNER_TOOL_CACHE/Python/X.Y.Z/<arch>/bin`), newest first.
 */
export declare function candidates(version: string, finder: Pick<Finder, 'env' | 'list'>): Candidate[];
/** The interpreter a probe's output describes, when it is of version X.Y. */
export declare function probed(output: string | undefined, version: string, source: string): Interpreter | undefined;
/** The first interpreter of X.Y that runs: the places of `candidates`, then `uv python find X.Y` when uv runs. */
export declare function findInterpreter(version: string, finder: Finder): Promise<Interpreter | undefined>;
/**
 * The interpreter that compiles, or undefined for none: `false` never compiles, `auto` compiles when one is found,
 * `true` installs one with uv when none is found and uv runs, else throws a BytecodeError. Runs before any AWS call.
 */
export declare function resolveCompiler(compile: Compile, version: string, finder?: Finder, log?: (line: string) => void): Promise<Interpreter | undefined>;
/** How the log says what compiling will do (or why not), before the install. */
export declare function describeCompiler(compile: Compile, version: string, interpreter: Interpreter | undefined): string;
/**
 * argv for compileall over a directory: hash-based unchecked .pyc, quiet but for errors, one worker per CPU. `-s dir`
 * records each module's path relative to it, not the scratch directory's: the same sources give the same bytes in
 * every run, so a reinstall re-uploads no .pyc (Python sets the path it loaded a module from when it imports it).
 */
export declare function compileallArgs(dir: string): string[];
/**
 * Writes the .pyc files of every module under dir, with the interpreter, by argv (never a shell). A module the
 * target version cannot compile (compileall exits 1 and names it) is published as source, as pip leaves it, with a
 * warning line; anything else is an error.
 */
export declare function compileTree(interpreter: Interpreter, dir: string, log: (line: string) => void): Promise<{
    failed: boolean;
}>;
/** The finder of this machine: the process's environment, processes, and the file system. */
export declare function systemFinder(env?: Readonly<Record<string, string | undefined>>): Finder;
