/**
 * Credentials inside URLs (`https://user:token@host/simple/`), as package indexes carry them: split out, stripped for
 * what may be shown or hashed, and listed in every form an installer or a log could print them, so that each form
 * can be masked and redacted. Pure: no I/O.
 */
export interface UrlCredentials {
    /** The URL without its userinfo: what the log, the plan and the release key may show. */
    bare: string;
    /** As written in the URL (still percent-encoded). */
    user: string;
    password?: string;
}
/** The credentials of a URL, or undefined when it has none. */
export declare function urlCredentials(url: string): UrlCredentials | undefined;
/**
 * Every `scheme://user:password@` in a text, userinfo dropped: `https://host/…` stays. The userinfo runs to the last
 * `@` before the path, as pip reads it, so a password with a raw `@` goes whole.
 */
export declare function stripUrlCredentials(text: string): string;
/** Every URL with userinfo in a text (config files, arguments, environment values, requirements). */
export declare function credentialedUrls(text: string): string[];
/**
 * Every form in which the secret of a user and password can be printed: the password alone, raw and decoded and
 * re-encoded, `user:password` in each of those, and the Basic authorization value. A user with no password is the
 * secret itself (a token as the user name, which pip prints as `****@host`). A user with a password is not secret:
 * pip prints it in its own redaction, `user:****@host`, which stays readable.
 */
export declare function secretForms(user: string, password?: string): string[];
/**
 * The secret forms of a URL's credentials; none when it has none. An ssh URL's user alone (`git+ssh://git@host/…`)
 * is no secret: ssh authenticates with a key, and masking `git` would blank the word all over the log.
 */
export declare function urlSecrets(url: string): string[];
/** The secret forms of every credentialed URL in a text (an input's raw value, an environment variable). */
export declare function secretsIn(text: string): string[];
/** A line with every secret form replaced by `***`, as the runner masks it; the longest forms first. */
export declare function redact(line: string, secrets: readonly string[]): string;
