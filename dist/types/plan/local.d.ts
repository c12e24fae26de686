import type { Tree } from '../sync/model.js';
export declare const IGNORE_FILE = ".efsyncignore";
export declare class LocalTreeError extends Error {
    name: string;
}
export declare function walkLocal(root: string): Promise<Tree>;
