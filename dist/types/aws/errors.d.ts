interface MiddlewareClient {
    middlewareStack: {
        add: (middleware: never, options: {
            step: 'initialize';
            name: string;
        }) => void;
    };
}
export declare function iamAction(service: string, operation: string): string;
export interface TaggedError extends Error {
    $efsyncAction?: string;
    $metadata?: {
        httpStatusCode?: number;
    };
}
/** Adds the operation's IAM action (e.g. ec2:RunInstances) to every error the client throws. */
export declare function tagErrors<C extends MiddlewareClient>(client: C, service: string): C;
/** Whether AWS answered that the resource does not exist (and not, say, that access to it was denied). */
export declare function isNotFound(error: unknown): boolean;
/** Whether AWS refused the call (as opposed to: the resource is missing, the input is wrong, AWS failed). */
export declare function isDenied(error: unknown): boolean;
/**
 * One line: the operation, what AWS said, and for a refusal the action refused (which AWS's message may name: not
 * always the operation's own), who was refused, the fix, and how to decode AWS's encoded details (refusal.ts).
 */
export declare function explainAwsError(error: unknown): string;
export {};
