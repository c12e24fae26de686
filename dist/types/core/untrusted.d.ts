/** The lines the runner reads in a text: `\r\n`, `\r` and `\n` each end a line (StreamReader.ReadLine). */
export declare function runnerLines(text: string): string[];
/**
 * Whether no reading of the runner's can make a command of the line: neither `::` nor `##[` in it, even with every
 * character outside printable ASCII taken out (culture-sensitive matching passes over ignorable ones: a soft hyphen, a
 * zero-width space, a control character), nor in its compatibility form (NFKC: a fullwidth `：`, `⩴` for `::=`).
 */
export declare function isInert(line: string): boolean;
/** A token nobody can guess before it is printed, and never used twice: 128 random bits, hex. */
export declare function freshToken(): string;
/**
 * The text to write for these lines (each may hold line breaks of its own), ending in a newline: the lines bare when
 * each is inert, else all of them between a stop-commands line with a fresh token and that token's resume line.
 */
export declare function relayText(lines: readonly string[], token?: () => string): string;
/** Writes the lines in one synchronous call, so that nothing the action prints can land inside a stopped block. */
export declare function writeUntrusted(write: (text: string) => unknown, lines: readonly string[]): void;
/**
 * JSON for a stdout that a runner may read (the CLI in a workflow's run step), every line inert and the value the
 * same: characters outside printable ASCII, and the `:` of `::` and the `[` of `##[` (found only inside strings), as
 * \u escapes. No stop-commands block here: a program that parses the output gets JSON only.
 */
export declare function inertJson(value: unknown): string;
