import type { InputValues } from './inputs.js';
import { type Problems } from './problems.js';
export interface EfsyncFile {
    values: InputValues;
    /** `aws_profile`: a named profile for the SDK default chain (the CLI and API honour it). */
    profile?: string;
    /** Things the user should know about how a key was taken. */
    notices: string[];
}
/**
 * Maps the text of an efsync.yaml. `fileLabel` names the file in messages. Scalars are read as strings (the YAML
 * failsafe schema), so `python_version: 3.10` stays '3.10' rather than becoming the number 3.1.
 */
export declare function readEfsyncYaml(problems: Problems, fileLabel: string, text: string): EfsyncFile;
