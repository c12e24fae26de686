import { type Problems } from './problems.js';
import type { S3Location } from './types.js';
interface IdRule {
    pattern: RegExp;
    example: string;
}
export declare const ID_RULES: {
    region: {
        pattern: RegExp;
        example: string;
    };
    roleArn: {
        pattern: RegExp;
        example: string;
    };
    roleSessionName: {
        pattern: RegExp;
        example: string;
    };
    fileSystem: {
        pattern: RegExp;
        example: string;
    };
    accessPoint: {
        pattern: RegExp;
        example: string;
    };
    subnet: {
        pattern: RegExp;
        example: string;
    };
    securityGroup: {
        pattern: RegExp;
        example: string;
    };
    stack: {
        pattern: RegExp;
        example: string;
    };
    instanceProfile: {
        pattern: RegExp;
        example: string;
    };
    instance: {
        pattern: RegExp;
        example: string;
    };
    instanceType: {
        pattern: RegExp;
        example: string;
    };
};
export declare function checkId(problems: Problems, label: string, value: string, rule: IdRule, what: string): void;
export declare function bucketNameProblem(name: string): string | undefined;
/** Parses s3://bucket/prefix into a bucket and a prefix that is empty or ends with '/'. */
export declare function parseS3Uri(problems: Problems, label: string, value: string): S3Location | undefined;
/**
 * A target is a directory on EFS relative to the file system (or access point) root: relative, no '.' or '..',
 * no empty or reserved components. Returns it without a trailing slash, or undefined after recording why not.
 */
export declare function normalizeTarget(problems: Problems, label: string, value: string): string | undefined;
/** Two targets overlap when one is the other or lies inside it. */
export declare function targetsOverlap(a: string, b: string): boolean;
/**
 * Resolves a user's path against the workspace and keeps it inside: returns the workspace-relative path ('' for
 * the workspace itself), or undefined after recording the problem.
 */
export declare function workspacePath(problems: Problems, label: string, workspace: string, value: string, example?: string): string | undefined;
/** A key prefix for S3: no leading slash, no '..', empty or ending with '/'. */
export declare function normalizePrefix(problems: Problems, label: string, value: string): string | undefined;
export {};
