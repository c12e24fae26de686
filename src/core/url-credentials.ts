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

/** scheme://userinfo@rest; the userinfo runs to the last `@` before the path, as pip's split_auth_from_netloc reads it. */
const USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#\s]*)@([^/?#\s]*[\s\S]*)$/i;

/** The credentials of a URL, or undefined when it has none. */
export function urlCredentials(url: string): UrlCredentials | undefined {
  const match = USERINFO.exec(url.trim());
  if (!match) return undefined;
  const [, scheme = '', userinfo = '', rest = ''] = match;
  const colon = userinfo.indexOf(':');
  const user = colon === -1 ? userinfo : userinfo.slice(0, colon);
  const password = colon === -1 ? undefined : userinfo.slice(colon + 1);
  if (user === '' && !password) return undefined;
  return { bare: `${scheme}${rest}`, user, ...(password !== undefined && password !== '' && { password }) };
}

/**
 * Every `scheme://user:password@` in a text, userinfo dropped: `https://host/…` stays. The userinfo runs to the last
 * `@` before the path, as pip reads it, so a password with a raw `@` goes whole.
 */
export function stripUrlCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/?#\s'"]*@/gi, '$1');
}

/** Every URL with userinfo in a text (config files, arguments, environment values, requirements). */
export function credentialedUrls(text: string): string[] {
  return [...text.matchAll(/[a-z][a-z0-9+.-]*:\/\/[^/?#\s'"]*@[^\s'",\]]*/gi)].map((m) => m[0]);
}

function decoded(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * Every form in which the secret of a user and password can be printed: the password alone, raw and decoded and
 * re-encoded, `user:password` in each of those, and the Basic authorization value. A user with no password is the
 * secret itself (a token as the user name, which pip prints as `****@host`). A user with a password is not secret:
 * pip prints it in its own redaction, `user:****@host`, which stays readable.
 */
export function secretForms(user: string, password?: string): string[] {
  const secret = password ?? user;
  const plain = decoded(secret);
  const forms = [secret, plain, encodeURIComponent(plain)];
  if (password !== undefined) {
    const plainUser = decoded(user);
    forms.push(`${user}:${password}`, `${plainUser}:${plain}`, Buffer.from(`${plainUser}:${plain}`).toString('base64'));
  } else {
    forms.push(Buffer.from(`${plain}:`).toString('base64'));
  }
  return [...new Set(forms.filter((form) => form.trim() !== ''))];
}

/**
 * The secret forms of a URL's credentials; none when it has none. An ssh URL's user alone (`git+ssh://git@host/…`)
 * is no secret: ssh authenticates with a key, and masking `git` would blank the word all over the log.
 */
export function urlSecrets(url: string): string[] {
  const credentials = urlCredentials(url);
  if (!credentials) return [];
  if (credentials.password === undefined && /^[a-z0-9+.-]*ssh:/i.test(url.trim())) return [];
  return secretForms(credentials.user, credentials.password);
}

/** The secret forms of every credentialed URL in a text (an input's raw value, an environment variable). */
export function secretsIn(text: string): string[] {
  return [...new Set(credentialedUrls(text).flatMap(urlSecrets))];
}

/** A line with every secret form replaced by `***`, as the runner masks it; the longest forms first. */
export function redact(line: string, secrets: readonly string[]): string {
  let out = line;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) out = out.replaceAll(secret, '***');
  return out;
}
