/** Whether `candidate` is `root` or lies under it. */
export declare function inside(root: string, candidate: string): boolean;
