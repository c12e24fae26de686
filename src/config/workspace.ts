/**
 * Confinement by real path. workspacePath (rules.ts) keeps a path inside the workspace as written; this keeps it
 * inside as the file system resolves it, so that `local-dir: models` where models is a symbolic link to
 * ~/.ssh, or a requirements file linked to ~/.aws/credentials, is refused before any AWS call. The only I/O of
 * config: realpath(3) of the workspace and of the path.
 */
import fs from 'node:fs';
import path from 'node:path';
import { includedFile, isUrlInclude } from '../core/requirements.js';
import { type Problems, quote } from './problems.js';

/**
 * The real path of `absolute`: of the path itself when it exists, else of its deepest existing folder joined with
 * the rest (a path that does not exist yet cannot lead anywhere, but its folders can).
 */
export function realPathOf(absolute: string): string {
  const rest: string[] = [];
  let here = absolute;
  for (;;) {
    try {
      return path.join(fs.realpathSync.native(here), ...rest.reverse());
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const parent = path.dirname(here);
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || parent === here) return absolute;
      rest.push(path.basename(here));
      here = parent;
    }
  }
}

/** Whether `candidate` is `root` or lies under it, both real paths. */
export function within(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/**
 * Where a workspace-relative path really leads, when that is outside the workspace's real path: the real path, for
 * the message; undefined when it stays inside.
 */
export function escapesWorkspace(workspace: string, relative: string): string | undefined {
  const root = realPathOf(path.resolve(workspace));
  const real = realPathOf(path.resolve(workspace, relative));
  return within(root, real) ? undefined : real;
}

/**
 * Records a problem when `relative` (already inside the workspace as written) resolves outside the workspace's real
 * path through a symbolic link. Returns whether it stays inside.
 */
export function confineToWorkspace(problems: Problems, label: string, workspace: string, relative: string): boolean {
  const real = escapesWorkspace(workspace, relative);
  if (real === undefined) return true;
  problems.add(
    label,
    `${quote(relative)} is a symbolic link, or lies under one, that leads outside the workspace (to ${quote(real)}). ` +
      'Write a path whose real location is inside the repository, or copy the files into the workspace first.',
  );
  return false;
}

/**
 * The requirements file and every file it includes (`-r`/`-c`, as pip resolves them: relative to the including
 * file) must really lie in the workspace: pip reads each of them, and their text goes into the release key. A file
 * that cannot be read is left to planning, which names it.
 */
export function confineRequirements(problems: Problems, label: string, workspace: string, relative: string): void {
  const root = realPathOf(path.resolve(workspace));
  const seen = new Set<string>();
  const visit = (file: string, from: string | undefined): void => {
    const real = realPathOf(file);
    if (!within(root, real)) {
      const shown = path.relative(workspace, file);
      problems.add(
        label,
        `${quote(shown)}${from === undefined ? '' : `, included from ${quote(from)},`} leads outside the workspace ` +
          `(to ${quote(real)}) through a symbolic link or a path out of the repository. Keep every requirements ` +
          'file and its -r/-c includes inside the repository.',
      );
      return;
    }
    if (seen.has(real)) return;
    seen.add(real);
    let text: string;
    try {
      text = fs.readFileSync(real, 'utf8');
    } catch {
      return;
    }
    for (const line of text.split(/\r?\n/)) {
      const include = includedFile(line);
      if (include === undefined || isUrlInclude(include)) continue;
      visit(path.resolve(path.dirname(file), include), path.relative(workspace, file));
    }
  };
  visit(path.resolve(workspace, relative), undefined);
}
