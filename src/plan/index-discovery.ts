/**
 * Finds the package indexes an install will read and every credential they carry, where pip and uv look: their
 * environment variables, pip's configuration files (PIP_CONFIG_FILE, global, user, site), uv's (UV_CONFIG_FILE, the
 * nearest uv.toml or pyproject [tool.uv] from the workspace up, user, system), `pip-args`, the requirements file's
 * options, and netrc (NETRC or ~/.netrc) for the index hosts. The secrets are masked before the installer runs; the
 * indexes, credentials stripped, go into the release key and the log.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { credentialedUrls, secretsIn, urlCredentials, urlSecrets } from '../core/url-credentials.js';
import type { InstallerName } from './deps.js';
import {
  hostOf,
  type IndexUse,
  indexesFromArgs,
  indexesFromEnv,
  indexesFromPipConf,
  indexesFromRequirements,
  indexesFromUvToml,
  netrcSecrets,
  requirementsSecrets,
  uvIndexCredentialSecrets,
} from './indexes.js';

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

const read = (file: string): string | undefined => {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};

const execFileAsync = promisify(execFile);

async function pythonPrefix(python: string | undefined, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (env.VIRTUAL_ENV) return env.VIRTUAL_ENV;
  if (!python) return undefined;
  try {
    const { stdout } = await execFileAsync(python, ['-c', 'import sys; print(sys.prefix)'], { timeout: 30_000 });
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

function homeOf(env: NodeJS.ProcessEnv): string {
  return env.HOME || os.homedir();
}

/** pip's configuration files in the order it loads them (pip's configuration.py): none when PIP_CONFIG_FILE is null. */
export function pipConfigFiles(env: NodeJS.ProcessEnv, prefix: string | undefined): string[] {
  const chosen = env.PIP_CONFIG_FILE;
  if (chosen === os.devNull) return [];
  const home = homeOf(env);
  const xdgDirs = (env.XDG_CONFIG_DIRS || '/etc/xdg').split(path.delimiter).filter(Boolean);
  const files = [...xdgDirs.map((dir) => path.join(dir, 'pip', 'pip.conf')), '/etc/pip.conf'];
  // A PIP_CONFIG_FILE that exists replaces the user's files.
  if (!(chosen && fs.existsSync(chosen))) {
    files.push(path.join(home, '.pip', 'pip.conf'));
    if (process.platform === 'darwin') files.push(path.join(home, 'Library', 'Application Support', 'pip', 'pip.conf'));
    files.push(path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), 'pip', 'pip.conf'));
  }
  if (prefix) files.push(path.join(prefix, 'pip.conf'));
  if (chosen) files.push(chosen);
  return files;
}

/** uv's configuration files (its configuration-files doc): the nearest project file, then the user's, the system's. */
export function uvConfigFiles(env: NodeJS.ProcessEnv, workspace: string): { file: string; pyproject: boolean }[] {
  if (env.UV_NO_CONFIG && !['0', 'false'].includes(env.UV_NO_CONFIG.toLowerCase())) return [];
  if (env.UV_CONFIG_FILE) return [{ file: env.UV_CONFIG_FILE, pyproject: false }];
  const files: { file: string; pyproject: boolean }[] = [];
  for (let dir = path.resolve(workspace); ; dir = path.dirname(dir)) {
    const uvToml = path.join(dir, 'uv.toml');
    const pyproject = path.join(dir, 'pyproject.toml');
    if (fs.existsSync(uvToml)) {
      files.push({ file: uvToml, pyproject: false });
      break;
    }
    // A pyproject.toml without [tool.uv] is passed over (indexesFromUvToml says so by undefined).
    const text = read(pyproject);
    if (text !== undefined && indexesFromUvToml(text, pyproject, true) !== undefined) {
      files.push({ file: pyproject, pyproject: true });
      break;
    }
    if (path.dirname(dir) === dir) break;
  }
  const home = homeOf(env);
  files.push({ file: path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), 'uv', 'uv.toml'), pyproject: false });
  const system = (env.XDG_CONFIG_DIRS || '/etc/xdg')
    .split(path.delimiter)
    .filter(Boolean)
    .map((dir) => path.join(dir, 'uv', 'uv.toml'))
    .concat('/etc/uv/uv.toml')
    .find((file) => fs.existsSync(file));
  if (system) files.push({ file: system, pyproject: false });
  return files;
}

export async function discoverIndexes(input: DiscoveryInput): Promise<IndexDiscovery> {
  const { env } = input;
  const inKey = [
    ...indexesFromRequirements(input.requirementsText, env, 'the requirements file'),
    ...indexesFromArgs(input.pipArgs, 'pip-args'),
  ];
  const uses: IndexUse[] = [...indexesFromEnv(env), ...inKey];
  // Every credential of the requirements text and of pip-args, index or not (a direct reference, a VCS URL).
  const secrets: string[] = [
    ...uvIndexCredentialSecrets(env),
    ...requirementsSecrets(input.requirementsText, env),
    ...secretsIn(input.pipArgs.join('\n')),
  ];
  for (const [name, value] of Object.entries(env))
    if (/^(PIP|UV)_/.test(name) && value) for (const url of credentialedUrls(value)) secrets.push(...urlSecrets(url));

  const prefix =
    input.installer !== 'pip'
      ? undefined
      : env.VIRTUAL_ENV || input.pythonPrefix || (await pythonPrefix(input.python, env));
  for (const file of pipConfigFiles(env, prefix)) {
    const text = read(file);
    if (text === undefined) continue;
    uses.push(...indexesFromPipConf(text, `pip.conf ${file}`));
    for (const url of credentialedUrls(text)) secrets.push(...urlSecrets(url));
  }
  for (const { file, pyproject } of uvConfigFiles(env, input.workspace)) {
    const text = read(file);
    if (text === undefined) continue;
    uses.push(...(indexesFromUvToml(text, file, pyproject) ?? []));
    for (const url of credentialedUrls(text)) secrets.push(...urlSecrets(url));
  }
  for (const use of uses) secrets.push(...urlSecrets(use.url));

  const hosts = [...new Set(uses.map((use) => hostOf(use.url)).filter((h): h is string => h !== undefined))];
  const netrcFile = env.NETRC || path.join(homeOf(env), '.netrc');
  const netrc = read(netrcFile) ?? '';
  const netrcHosts = new Set(hosts.filter((host) => netrcSecrets(netrc, [host]).length > 0));
  secrets.push(...netrcSecrets(netrc, hosts));

  const indexes: PackageIndex[] = [];
  for (const use of uses) {
    if (!use.readers.includes(input.installer)) continue;
    const credentials = urlCredentials(use.url);
    const url = credentials?.bare ?? use.url;
    if (indexes.some((known) => known.url === url)) continue;
    const host = hostOf(use.url);
    const how = credentials ? 'in the URL' : host !== undefined && netrcHosts.has(host) ? 'from netrc' : undefined;
    indexes.push({ url, source: use.source, ...(how && { credentials: how }) });
  }
  const keyed = uses
    .filter((use) => use.readers.includes(input.installer) && !inKey.includes(use))
    .map((use) => urlCredentials(use.url)?.bare ?? use.url);
  return { indexes, keyed: [...new Set(keyed)].sort(), secrets: [...new Set(secrets)] };
}

/** One line for the log: which indexes the install reads, from where, and how it authenticates (never the secret). */
export function describeIndexes(installer: InstallerName, indexes: readonly PackageIndex[]): string | undefined {
  if (indexes.length === 0) return undefined;
  const each = indexes.map(
    (index) => `${index.url} (${index.source}${index.credentials ? `; credentials ${index.credentials}, masked` : ''})`,
  );
  return `Package indexes for ${installer}: ${each.join(', ')}.`;
}
