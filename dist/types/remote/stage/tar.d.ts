import { EfsyncError } from '../../core/errors.js';
import type { FileEntry } from '../../core/tree.js';
/** A file cannot be staged as planned (it changed since, or its entry is malformed). */
export declare class StagingError extends EfsyncError {
}
export declare const END_OF_ARCHIVE: Buffer<ArrayBuffer>;
/** Files of one target, relative to a root directory on the runner. */
export interface TarPart {
    root: string;
    target: string;
    files: FileEntry[];
}
/** The bytes a file takes in a part: its headers and its padded content. */
export declare function memberBytes(file: FileEntry): number;
/** The tar bytes of a part: each file's headers, content (checked against its plan) and padding, then the end. */
export declare function tarChunks(plan: TarPart): AsyncGenerator<Buffer>;
export declare function checkEntry(target: string, file: FileEntry): void;
