/** How the engine talks to whoever runs it: the action's log groups, or a terminal for the CLI and API. */

export interface Reporter {
  info(message: string): void;
  warning(message: string): void;
  group<T>(title: string, work: () => Promise<T>): Promise<T>;
  /** Hides a value from every later log line (the runner's masking); a no-op where nothing masks. */
  secret(value: string): void;
}

/** Plain lines on stderr, so that stdout carries only results (the CLI prints JSON there). */
export const consoleReporter: Reporter = {
  info: (message) => console.error(message),
  warning: (message) => console.error(`warning: ${message}`),
  async group(title, work) {
    console.error(`== ${title}`);
    return work();
  },
  secret: () => {},
};

/** For API callers who want silence. */
export const silentReporter: Reporter = {
  info: () => {},
  warning: () => {},
  group: (_title, work) => work(),
  secret: () => {},
};
