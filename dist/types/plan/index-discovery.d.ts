import type { InstallerName } from './deps.js';
export interface PackageIndex {
    /** Without credentials. */
    url: string;
    /** Where it is named (an environment variable, `pip-args`, a file). */
    source: string;
    /** How it is authenticated, when it is: credentials in its URL, or a netrc entry for its host. */
    credentials?: 'in the URL' | 'from netrc';
}
export interface IndexDiscovery {
    /** What the chosen installer reads, in the order found, each URL once. */
    indexes: PackageIndex[];
    /**
     * For the release key: the URLs (credentials stripped, sorted) the installer reads from its environment and
     * configuration files. Those in `pip-args` and the requirements file are in the key with them.
     */
    keyed: string[];
    /** Every form in which a credential could be printed: masked and redacted from the installer's output. */
    secrets: string[];
}
export interface DiscoveryInput {
    installer: InstallerName;
    workspace: string;
    pipArgs: readonly string[];
    /** The requirements text, includes inlined (readRequirements). */
    requirementsText: string;
    env: NodeJS.ProcessEnv;
    /** The interpreter pip runs with, whose prefix holds pip's site configuration. */
    python?: string;
    /** That prefix, when the installer's probe read it already (deps-install.ts resolveInstaller). */
    pythonPrefix?: string;
}
/** pip's configuration files in the order it loads them (pip's configuration.py): none when PIP_CONFIG_FILE is null. */
export declare function pipConfigFiles(env: NodeJS.ProcessEnv, prefix: string | undefined): string[];
/** uv's configuration files (its configuration-files doc): the nearest project file, then the user's, the system's. */
export declare function uvConfigFiles(env: NodeJS.ProcessEnv, workspace: string): {
    file: string;
    pyproject: boolean;
}[];
export declare function discoverIndexes(input: DiscoveryInput): Promise<IndexDiscovery>;
/** One line for the log: which indexes the install reads, from where, and how it authenticates (never the secret). */
export declare function describeIndexes(installer: InstallerName, indexes: readonly PackageIndex[]): string | undefined;
