/**
 * The agent's log, printed while the agent runs. SSM returns a command's output only once the command has ended
 * (GetCommandInvocation's StandardOutputContent: "If the command hasn't finished running ... this string is empty"),
 * so the agent uploads its log to staging every second, and this reads it back and prints the lines not yet printed.
 * The log is text from the instance (it quotes the lock holder, file names, S3 keys): each read's new lines go to
 * `print` as one block, which the action relays with no workflow command read in it (core/untrusted.ts).
 */
/** The agent's last line, the result as JSON: read from result.json instead, never printed. */
const RESULT_LINE = 'EFSYNC_RESULT ';

export class LogTail {
  /** The whole log at the last read that found it; undefined while the agent has uploaded none. */
  text: string | undefined;
  /** Bytes of the log printed so far: whole lines only, until the final read. */
  private printed = 0;
  private readonly read: () => Promise<string | undefined>;
  private readonly print: (lines: string[]) => void;

  /** `read` returns the whole log as uploaded so far, or undefined before the first upload; `print` gets the new lines. */
  constructor(read: () => Promise<string | undefined>, print: (lines: string[]) => void) {
    this.read = read;
    this.print = print;
  }

  /** Prints the new whole lines; with `final`, also a last line without its newline. */
  async poll(final = false): Promise<void> {
    const text = await this.read();
    if (text === undefined) return;
    this.text = text;
    // The agent only ever appends, and uploads the whole log each time: what was printed is a prefix of it.
    const rest = Buffer.from(text, 'utf8').subarray(this.printed).toString('utf8');
    const complete = final ? rest : rest.slice(0, rest.lastIndexOf('\n') + 1);
    this.printed += Buffer.byteLength(complete, 'utf8');
    const lines = complete.split('\n').filter((line) => line !== '' && !line.startsWith(RESULT_LINE));
    if (lines.length > 0) this.print(lines);
  }

  /**
   * Polls every `everyMs` until the returned stop is called; a failed read is only a line printed later. Stop ends the
   * pause at once (the caller reads the log a last time itself), and waits only for a read under way.
   */
  follow(everyMs = 1000): { stop: () => Promise<void> } {
    let stopped = false;
    let wake: () => void = () => undefined;
    const loop = (async () => {
      while (!stopped) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, everyMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        if (!stopped) await this.poll().catch(() => undefined);
      }
    })();
    return {
      stop: async () => {
        stopped = true;
        wake();
        await loop;
      },
    };
  }
}
