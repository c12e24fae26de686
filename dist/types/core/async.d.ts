/** Waiting: a pause between polls, and tasks run a few at a time. */
/** A pause between polls. */
export declare function delay(ms: number): Promise<void>;
/** Runs `task` over `items` with at most `limit` at a time; results keep the items' order. */
export declare function mapLimit<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]>;
