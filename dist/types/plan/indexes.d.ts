export type IndexReader = 'pip' | 'uv';
/** One index (or find-links location) as written, credentials and all: never shown as is (see indexLabel). */
export interface IndexUse {
    url: string;
    /** Where it is named, e.g. `PIP_INDEX_URL`, `pip-args`, `pip.conf /etc/pip.conf`. */
    source: string;
    /** The installers that read that place; pip-args and the requirements file are read by both. */
    readers: IndexReader[];
}
/** Index URLs among installer arguments: `--index-url URL`, `--index-url=URL`, `-i URL`, `-iURL`, and the rest. */
export declare function indexesFromArgs(args: readonly string[], source: string, readers?: IndexReader[]): IndexUse[];
/** `${NAME}` in a requirements file, expanded from the environment as pip and uv do. */
export declare function expandVariables(text: string, env: NodeJS.ProcessEnv): string;
/**
 * The logical lines of a requirements file as pip reads them (req_file.py join_lines): a line that ends with `\` goes
 * on with the next one, its backslashes stripped; a comment line ends a continuation.
 */
export declare function joinContinuedLines(text: string): string[];
/** The index options a requirements file holds on its own lines (`--index-url`, `-i`, `--extra-index-url`, `-f`). */
export declare function indexesFromRequirements(text: string, env: NodeJS.ProcessEnv, source: string): IndexUse[];
/**
 * The secret forms of every credential in a requirements text (includes inlined), as pip reads it: continued lines
 * joined, `${VAR}` expanded, then every URL with userinfo, wherever it stands: an index option, a `-r`/`-c` URL, a
 * direct reference (`name @ https://user:token@host/…`), a VCS URL (`git+https://token@host/…`).
 */
export declare function requirementsSecrets(text: string, env: NodeJS.ProcessEnv): string[];
/** PIP_* (pip) and UV_* (uv) environment variables that name indexes. */
export declare function indexesFromEnv(env: NodeJS.ProcessEnv): IndexUse[];
/** uv's credentials for a named index: UV_INDEX_<NAME>_PASSWORD (and _USERNAME, secret only without a password). */
export declare function uvIndexCredentialSecrets(env: NodeJS.ProcessEnv): string[];
/**
 * The indexes of a pip configuration file: `index-url`, `extra-index-url` and `find-links` of its [global] and
 * [install] sections (pip reads a key with `_` as with `-`, and a value may go on over indented lines).
 */
export declare function indexesFromPipConf(text: string, source: string): IndexUse[];
/**
 * The indexes of a uv.toml, or of a pyproject.toml's [tool.uv] (undefined when it has none: uv then looks further
 * up). Top-level and [pip] settings: `index-url`, `extra-index-url`, `find-links`, and `[[index]]` tables' `url`.
 * A file that is not valid TOML yields the credentialed URLs found in its text, so that they are still masked.
 */
export declare function indexesFromUvToml(text: string, source: string, pyproject?: boolean): IndexUse[] | undefined;
/** The host netrc is consulted for (no port), as requests and uv look it up. */
export declare function hostOf(url: string): string | undefined;
/** The secret forms of the netrc entries for these hosts (and of its `default` entry, which answers for any host). */
export declare function netrcSecrets(text: string, hosts: readonly string[]): string[];
