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
export declare function relay(reporter: Reporter, lines: readonly string[]): void;
export declare const consoleReporter: Reporter;
/** For API callers who want silence. */
export declare const silentReporter: Reporter;
