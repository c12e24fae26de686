import { EfsyncError } from '../core/errors.js';
import { type Tree } from '../core/tree.js';
export declare const IGNORE_FILE = ".efsyncignore";
export declare class LocalTreeError extends EfsyncError {
}
export declare function walkLocal(root: string): Promise<Tree>;
