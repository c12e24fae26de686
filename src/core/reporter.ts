/** How the engine talks to whoever runs it: the action's log groups, or a terminal for the CLI and API. */
import { relayText } from './untrusted.js';

export interface Reporter {
  /** One line or a few; it may name files, keys or quote other text: never read as a workflow command (untrusted.ts). */
  info(message: string): void;
  warning(message: string): void;
  group<T>(title: string, work: () => Promise<T>): Promise<T>;
  /** Hides a value from every later log line (the runner's masking); a no-op where nothing masks. */
  secret(value: string): void;
  /**
   * Lines from outside the action (the agent's log, an installer's output), printed as one block; where absent,
   * each goes through info. Either way no workflow command is read in them.
   */
  relay?(lines: readonly string[]): void;
}

/** Prints lines from outside the action through the reporter, as one block where it can. */
export function relay(reporter: Reporter, lines: readonly string[]): void {
  if (lines.length === 0) return;
  if (reporter.relay) reporter.relay(lines);
  else for (const line of lines) reporter.info(line);
}

/**
 * Plain lines on stderr, so that stdout carries only results (the CLI prints JSON there). In a workflow's run step
 * the runner reads stderr for commands too, so there the lines go through untrusted.ts as the action's do.
 */
const stderrLines = (lines: readonly string[]) => {
  if (process.env.GITHUB_ACTIONS !== 'true') for (const line of lines) console.error(line);
  else {
    // One call, the block whole; console.error adds the last newline.
    const text = relayText(lines);
    if (text !== '') console.error(text.slice(0, -1));
  }
};

export const consoleReporter: Reporter = {
  info: (message) => stderrLines([message]),
  warning: (message) => stderrLines([`warning: ${message}`]),
  async group(title, work) {
    stderrLines([`== ${title}`]);
    return work();
  },
  secret: () => {},
  relay: stderrLines,
};

/** For API callers who want silence. */
export const silentReporter: Reporter = {
  info: () => {},
  warning: () => {},
  group: (_title, work) => work(),
  secret: () => {},
};
