/** Numbers as a person reads them in the log and the summary. Pure. */
export declare function formatBytes(n: number): string;
/** Mebibytes with one decimal, for progress lines. */
export declare function mib(n: number): string;
