import type { Architecture, DepsSource } from '../config/types.js';
import { EfsyncError } from '../core/errors.js';
export type InstallerName = 'pip' | 'uv';
export declare class DependencyError extends EfsyncError {
}
/** Lambda's arm64 is aarch64 in wheel tags. */
export declare function wheelArch(architecture: Architecture): 'x86_64' | 'aarch64';
/**
 * Every tag pip's explicit --platform must list (it expands none of the manylinux_2_x range itself), most specific
 * first, which is the order pip prefers when a release has several wheels. manylinux1 and manylinux2010 were never
 * defined for aarch64.
 */
export declare function platformTags(pythonVersion: string, architecture: Architecture): string[];
/** The highest uv platform the runtime can load: for Amazon Linux 2 (glibc 2.26) that is 2_17. */
export declare function uvPythonPlatform(pythonVersion: string, architecture: Architecture): string;
export interface DepsKeyInput {
    requirementsText: string;
    pythonVersion: string;
    architecture: Architecture;
    /** The installer that runs, not the choice: 'auto' may pick either. */
    installer: InstallerName;
    pipArgs: string[];
    /** The index URLs, credentials stripped, that the installer reads from its environment and configuration files. */
    indexes?: string[];
    /** Whether .pyc files are written (compile, with `auto` resolved): turning it on republishes once. */
    compiled?: boolean;
}
/**
 * Hex sha256 of everything that decides the installed tree; the tags are in it so a new tag table re-publishes.
 * Index URLs count without their credentials, wherever they are named: a rotated token is the same index.
 */
export declare function depsReleaseKey(input: DepsKeyInput): string;
export { includedFile } from '../core/requirements.js';
export interface InstallCommandInput {
    installer: InstallerName;
    /** The interpreter that runs pip; for uv the environment it reads (uv finds one itself when absent). */
    python?: string;
    requirements: string;
    target: string;
    pythonVersion: string;
    architecture: Architecture;
    pipArgs: string[];
}
/**
 * argv for the installer; never a shell string, so no path or argument is ever interpreted by a shell. It writes no
 * .pyc: the installer's interpreter need not be the target's version, and bytecode.ts compiles with one that is.
 */
export declare function installCommand(input: InstallCommandInput): {
    command: string;
    args: string[];
};
/** The requirement the installer could not find a wheel for, if its output says so. */
export declare function missingRequirement(output: string): string | undefined;
/** The status and URL of an index's refusal of the credentials, if the installer's output has one. */
export declare function refusedCredentials(output: string): {
    status: string;
    url: string;
} | undefined;
/**
 * One message for a failed install: an index that refused its credentials, a named missing wheel, else the tail of
 * the installer's output. `authenticated` are the indexes that carry credentials (without them): pip reports a
 * refused login only as "no version found", so the missing-wheel message then names them too.
 */
export declare function explainInstallFailure(deps: Pick<DepsSource, 'pythonVersion' | 'architecture'>, installer: InstallerName, exitCode: number | null, output: readonly string[], authenticated?: readonly string[]): string;
