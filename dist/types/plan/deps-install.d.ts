import type { DepsSource, Installer } from '../config/types.js';
import type { Tree } from '../core/tree.js';
import { type Interpreter } from './bytecode.js';
import { type InstallerName } from './deps.js';
/**
 * The requirements text with every -r/-c include inlined after the line that names it (relative to the including
 * file, as pip reads it), so an edit in an included file changes the key. For the key only: pip reads the files.
 */
export declare function readRequirements(file: string, includedFrom?: string[]): Promise<string>;
export interface ResolvedInstaller {
    installer: InstallerName;
    /** e.g. "pip 24.0" or "uv 0.9.0", for the log. */
    version: string;
    /** The runner's python3, when it runs: pip runs with it; uv installs for it. */
    python?: string;
    /** Its X.Y (the .pyc are written by an interpreter of the target version instead: bytecode.ts). */
    runnerPythonVersion?: string;
    /** Its sys.prefix, where pip reads its site configuration (index-discovery.ts). */
    pythonPrefix?: string;
}
/** 'auto' takes uv when `uv --version` runs, else pip; an explicit choice that cannot run is an error. */
export declare function resolveInstaller(choice: Installer): Promise<ResolvedInstaller>;
/** What the install knows of its package indexes' credentials (index-discovery.ts). */
export interface IndexAccess {
    /** Every printable form of a credential: redacted from each line of the installer's output. */
    secrets: readonly string[];
    /** The indexes that carry credentials, without them, for the message of a failed install. */
    authenticated: readonly string[];
}
/**
 * Installs into buildDir (emptied first: it is a scratch directory) and returns its tree. Runs in the workspace, so
 * relative paths in pip-args and in the requirements resolve as they do for pip run there by hand. Every line of
 * the installer's output is relayed with the index credentials redacted, the error's lines too. The installer
 * writes no .pyc; with a `compiler` (an interpreter of the target version), compileall writes them afterwards.
 */
export declare function installDependencies(deps: DepsSource, workspace: string, buildDir: string, log: (line: string) => void, resolved?: ResolvedInstaller, access?: IndexAccess, compiler?: Interpreter): Promise<Tree>;
