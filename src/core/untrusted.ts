/**
 * Text from outside the action's own code (the agent's log, whose lines quote the lock holder and file names; pip's
 * and uv's output; SSM's output; S3 keys and paths in plan lines and errors) printed so that the runner reads no
 * workflow command in it. This module is the one place that decides how; every line the action prints on a runner
 * outside an annotation goes through relayText.
 *
 * How the runner reads a step's output (actions/runner at 258d6c8, src/Runner.Common/ActionCommand.cs and
 * src/Runner.Worker/ActionCommandManager.cs, src/Runner.Worker/Handlers/OutputManager.cs):
 * - It splits the output into lines with StreamReader.ReadLine (src/Runner.Sdk/ProcessInvoker.cs:513), which ends a
 *   line at `\n`, `\r` or `\r\n`: a lone `\r` starts a new line.
 * - A line is looked at only when it holds `##[` or `::` anywhere (OutputManager.cs:82-83).
 * - `::name props::data` is a command when the line starts with `::` after TrimStart, i.e. after any leading white
 *   space (ActionCommand.cs:62-63, TryParseV2); `##[name props]data` is a command wherever `##[` is in the line
 *   (ActionCommand.cs:132, TryParse, the deprecated form, still tried: ActionCommandManager.cs:70-71). Both match
 *   with .NET's culture-sensitive StartsWith/IndexOf, which may pass over characters such as a soft hyphen.
 * - `::stop-commands::<token>` makes it ignore every command until `::<token>::` (ActionCommandManager.cs:86-124):
 *   while stopped, a line is only output, masked as any line is. The token is registered as a command only while
 *   stopped and masked when longer than 6 characters (ActionCommandManager.cs:113-119).
 *
 * The rule: a line goes out bare only when it holds neither `::` nor `##[`, even read past every character outside
 * printable ASCII and in its compatibility form (isInert), so that no culture rule, ignorable character or leading
 * white space can make a command of it. Any other block of lines goes out between
 * `::stop-commands::<fresh random token>` and `::<token>::`, written in one synchronous write: commands are never
 * left stopped across an await, so the action's own `::add-mask::` (a credential renewed mid-run) always lands
 * outside a stopped block and is honoured. The text itself is printed as it is (no escape rewrites it); secrets in it
 * are masked by the runner, which masks every line, stopped or not. Problem matchers that other steps registered still
 * read these lines (OutputManager.cs:101): stop-commands stops commands only.
 */
import { randomBytes } from 'node:crypto';

/** The lines the runner reads in a text: `\r\n`, `\r` and `\n` each end a line (StreamReader.ReadLine). */
export function runnerLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}

/**
 * Whether no reading of the runner's can make a command of the line: neither `::` nor `##[` in it, even with every
 * character outside printable ASCII taken out (culture-sensitive matching passes over ignorable ones: a soft hyphen, a
 * zero-width space, a control character), nor in its compatibility form (NFKC: a fullwidth `：`, `⩴` for `::=`).
 */
export function isInert(line: string): boolean {
  return [line, line.normalize('NFKC')].every((form) => {
    const ascii = form.replace(/[^\x20-\x7e]/g, '');
    return !ascii.includes('::') && !ascii.includes('##[');
  });
}

/** A token nobody can guess before it is printed, and never used twice: 128 random bits, hex. */
export function freshToken(): string {
  return `efsync-${randomBytes(16).toString('hex')}`;
}

/**
 * The text to write for these lines (each may hold line breaks of its own), ending in a newline: the lines bare when
 * each is inert, else all of them between a stop-commands line with a fresh token and that token's resume line.
 */
export function relayText(lines: readonly string[], token: () => string = freshToken): string {
  const all = lines.flatMap(runnerLines);
  if (all.length === 0) return '';
  const body = `${all.join('\n')}\n`;
  if (all.every(isInert)) return body;
  const stop = token();
  return `::stop-commands::${stop}\n${body}::${stop}::\n`;
}

/** Writes the lines in one synchronous call, so that nothing the action prints can land inside a stopped block. */
export function writeUntrusted(write: (text: string) => unknown, lines: readonly string[]): void {
  const text = relayText(lines);
  if (text !== '') write(text);
}

/**
 * JSON for a stdout that a runner may read (the CLI in a workflow's run step), every line inert and the value the
 * same: characters outside printable ASCII, and the `:` of `::` and the `[` of `##[` (found only inside strings), as
 * \u escapes. No stop-commands block here: a program that parses the output gets JSON only.
 */
export function inertJson(value: unknown): string {
  const json = JSON.stringify(value, null, 2) ?? 'null';
  const ascii = json.replace(/[^\x20-\x7e\n]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return ascii.replaceAll('##[', '##\\u005b').replaceAll('::', ':\\u003a');
}
