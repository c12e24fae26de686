/** A pause between polls. */
export declare function delay(ms: number): Promise<void>;
