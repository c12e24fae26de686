/**
 * The package indexes an install reads, from every place pip and uv take them: their environment variables, pip.conf,
 * uv.toml or pyproject's [tool.uv], `pip-args`, the requirements file's own options, and netrc for the credentials of
 * an index host. Pure: each reader takes the text; index-discovery.ts finds the files.
 */
import { parse as parseToml } from 'smol-toml';
import { credentialedUrls, secretForms, urlCredentials, urlSecrets } from '../core/url-credentials.js';

export type IndexReader = 'pip' | 'uv';

/** One index (or find-links location) as written, credentials and all: never shown as is (see indexLabel). */
export interface IndexUse {
  url: string;
  /** Where it is named, e.g. `PIP_INDEX_URL`, `pip-args`, `pip.conf /etc/pip.conf`. */
  source: string;
  /** The installers that read that place; pip-args and the requirements file are read by both. */
  readers: IndexReader[];
}

const BOTH: IndexReader[] = ['pip', 'uv'];

/** The options that name an index or a find-links location, long and short, for pip and uv. */
const URL_OPTIONS = ['--index-url', '--extra-index-url', '--find-links', '--index', '--default-index'];
const SHORT_URL_OPTIONS = ['-i', '-f'];

/** The value of `--index name=url` is the URL after the name (uv); a URL itself contains no `=` before `://`. */
function indexValue(value: string): string {
  const named = /^[\w.-]+=(.+:\/\/.*)$/.exec(value);
  return named?.[1] ?? value;
}

/** Index URLs among installer arguments: `--index-url URL`, `--index-url=URL`, `-i URL`, `-iURL`, and the rest. */
export function indexesFromArgs(args: readonly string[], source: string, readers = BOTH): IndexUse[] {
  const out: IndexUse[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    let value: string | undefined;
    const [name, inline] = arg.startsWith('--')
      ? [arg.split('=')[0] ?? '', arg.includes('=')]
      : [arg.slice(0, 2), false];
    if (URL_OPTIONS.includes(name)) value = inline ? arg.slice(name.length + 1) : args[++i];
    else if (SHORT_URL_OPTIONS.includes(name)) value = arg.length > 2 ? arg.slice(2).replace(/^=/, '') : args[++i];
    if (value) out.push({ url: indexValue(value), source, readers });
  }
  return out;
}

/** `${NAME}` in a requirements file, expanded from the environment as pip and uv do. */
export function expandVariables(text: string, env: NodeJS.ProcessEnv): string {
  return text.replace(/\$\{([A-Z0-9_]+)\}/g, (whole, name: string) => env[name] ?? whole);
}

/**
 * The logical lines of a requirements file as pip reads them (req_file.py join_lines): a line that ends with `\` goes
 * on with the next one, its backslashes stripped; a comment line ends a continuation.
 */
export function joinContinuedLines(text: string): string[] {
  const out: string[] = [];
  let pending: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    // pip's COMMENT_RE.match: a comment from the line's start (after white space only).
    const comment = /^\s*#/.test(line);
    if (!line.endsWith('\\') || comment) {
      out.push(pending.length > 0 ? [...pending, comment ? ` ${line}` : line].join('') : line);
      pending = [];
    } else pending.push(line.replace(/^\\+|\\+$/g, ''));
  }
  if (pending.length > 0) out.push(pending.join(''));
  return out;
}

/** The index options a requirements file holds on its own lines (`--index-url`, `-i`, `--extra-index-url`, `-f`). */
export function indexesFromRequirements(text: string, env: NodeJS.ProcessEnv, source: string): IndexUse[] {
  const out: IndexUse[] = [];
  for (const raw of joinContinuedLines(text)) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (!line.startsWith('-')) continue;
    out.push(...indexesFromArgs(expandVariables(line, env).split(/\s+/), source));
  }
  return out;
}

/**
 * The secret forms of every credential in a requirements text (includes inlined), as pip reads it: continued lines
 * joined, `${VAR}` expanded, then every URL with userinfo, wherever it stands: an index option, a `-r`/`-c` URL, a
 * direct reference (`name @ https://user:token@host/…`), a VCS URL (`git+https://token@host/…`).
 */
export function requirementsSecrets(text: string, env: NodeJS.ProcessEnv): string[] {
  return [...new Set(credentialedUrls(expandVariables(joinContinuedLines(text).join('\n'), env)).flatMap(urlSecrets))];
}

const words = (value: string | undefined) => (value ?? '').split(/\s+/).filter(Boolean);

/** PIP_* (pip) and UV_* (uv) environment variables that name indexes. */
export function indexesFromEnv(env: NodeJS.ProcessEnv): IndexUse[] {
  const out: IndexUse[] = [];
  const add = (name: string, values: string[], reader: IndexReader) => {
    for (const value of values) out.push({ url: indexValue(value), source: name, readers: [reader] });
  };
  for (const name of ['PIP_INDEX_URL', 'PIP_EXTRA_INDEX_URL', 'PIP_FIND_LINKS']) add(name, words(env[name]), 'pip');
  for (const name of ['UV_INDEX_URL', 'UV_DEFAULT_INDEX', 'UV_EXTRA_INDEX_URL', 'UV_INDEX']) {
    add(name, words(env[name]), 'uv');
  }
  // uv's UV_FIND_LINKS is comma-separated.
  add(
    'UV_FIND_LINKS',
    (env.UV_FIND_LINKS ?? '')
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean),
    'uv',
  );
  return out;
}

/** uv's credentials for a named index: UV_INDEX_<NAME>_PASSWORD (and _USERNAME, secret only without a password). */
export function uvIndexCredentialSecrets(env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    const match = /^UV_INDEX_(.+)_PASSWORD$/.exec(name);
    if (!match || !value) continue;
    out.push(...secretForms(env[`UV_INDEX_${match[1]}_USERNAME`] ?? '', value));
  }
  return out;
}

/**
 * The indexes of a pip configuration file: `index-url`, `extra-index-url` and `find-links` of its [global] and
 * [install] sections (pip reads a key with `_` as with `-`, and a value may go on over indented lines).
 */
export function indexesFromPipConf(text: string, source: string): IndexUse[] {
  const out: IndexUse[] = [];
  let section = '';
  let key = '';
  for (const raw of text.split(/\r?\n/)) {
    if (/^\s*[#;]/.test(raw) || raw.trim() === '') continue;
    const header = /^\s*\[([^\]]+)\]/.exec(raw);
    if (header) {
      section = (header[1] ?? '').trim().toLowerCase();
      key = '';
      continue;
    }
    let value: string;
    const pair = /^(\S[^=:]*?)\s*[=:]\s*(.*)$/.exec(raw);
    if (pair && !/^\s/.test(raw)) {
      key = (pair[1] ?? '').trim().toLowerCase().replaceAll('_', '-');
      value = pair[2] ?? '';
    } else value = raw;
    if (!['global', 'install'].includes(section)) continue;
    if (!['index-url', 'extra-index-url', 'find-links'].includes(key)) continue;
    for (const url of words(value)) out.push({ url, source, readers: ['pip'] });
  }
  return out;
}

type Table = Record<string, unknown>;
const table = (value: unknown): Table | undefined =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Table) : undefined;
const strings = (value: unknown): string[] =>
  (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');

/**
 * The indexes of a uv.toml, or of a pyproject.toml's [tool.uv] (undefined when it has none: uv then looks further
 * up). Top-level and [pip] settings: `index-url`, `extra-index-url`, `find-links`, and `[[index]]` tables' `url`.
 * A file that is not valid TOML yields the credentialed URLs found in its text, so that they are still masked.
 */
export function indexesFromUvToml(text: string, source: string, pyproject = false): IndexUse[] | undefined {
  let settings: Table | undefined;
  try {
    const document = parseToml(text) as Table;
    settings = pyproject ? table(table(document.tool)?.uv) : document;
  } catch {
    return credentialedUrls(text).map((url) => ({ url, source, readers: ['uv'] }));
  }
  if (!settings) return undefined;
  const out: IndexUse[] = [];
  for (const scope of [settings, table(settings.pip)]) {
    if (!scope) continue;
    const urls = ['index-url', 'extra-index-url', 'find-links'].flatMap((key) => strings(scope[key]));
    for (const index of Array.isArray(scope.index) ? scope.index : []) urls.push(...strings(table(index)?.url));
    for (const url of urls) out.push({ url, source, readers: ['uv'] });
  }
  return out;
}

/** The host netrc is consulted for (no port), as requests and uv look it up. */
export function hostOf(url: string): string | undefined {
  try {
    return new URL(urlCredentials(url)?.bare ?? url).hostname.replace(/^\[|\]$/g, '') || undefined;
  } catch {
    return undefined;
  }
}

/** The secret forms of the netrc entries for these hosts (and of its `default` entry, which answers for any host). */
export function netrcSecrets(text: string, hosts: readonly string[]): string[] {
  const tokens = text.split(/\s+/).filter(Boolean);
  const entries: { machine: string; login: string; password?: string }[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    const entry = entries[entries.length - 1];
    if (token === 'machine') entries.push({ machine: tokens[++i] ?? '', login: '' });
    else if (token === 'default') entries.push({ machine: '', login: '' });
    else if (token === 'login' && entry) entry.login = tokens[++i] ?? '';
    else if (token === 'password' && entry) entry.password = tokens[++i] ?? '';
    else if (token === 'account') i++;
  }
  return entries
    .filter((e) => e.password && (e.machine === '' || hosts.includes(e.machine)))
    .flatMap((e) => secretForms(e.login, e.password));
}
