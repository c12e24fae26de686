export declare class LogTail {
    /** The whole log at the last read that found it; undefined while the agent has uploaded none. */
    text: string | undefined;
    /** Bytes of the log printed so far: whole lines only, until the final read. */
    private printed;
    private readonly read;
    private readonly print;
    /** `read` returns the whole log as uploaded so far, or undefined before the first upload; `print` gets the new lines. */
    constructor(read: () => Promise<string | undefined>, print: (lines: string[]) => void);
    /** Prints the new whole lines; with `final`, also a last line without its newline. */
    poll(final?: boolean): Promise<void>;
    /**
     * Polls every `everyMs` until the returned stop is called; a failed read is only a line printed later. Stop ends the
     * pause at once (the caller reads the log a last time itself), and waits only for a read under way.
     */
    follow(everyMs?: number): {
        stop: () => Promise<void>;
    };
}
