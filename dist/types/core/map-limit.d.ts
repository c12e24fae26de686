/** Runs `task` over `items` with at most `limit` at a time; results keep the items' order. */
export declare function mapLimit<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]>;
