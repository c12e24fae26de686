/**
 * AWS errors in words a user can act on: which operation failed, and for a refusal, the IAM action to allow. Every
 * client gets a middleware that tags its errors with the operation, so the message can name it wherever it is caught.
 */
interface MiddlewareClient {
    middlewareStack: {
        add: (middleware: never, options: {
            step: 'initialize';
            name: string;
        }) => void;
    };
}
/** The IAM action that allows an API operation (S3 names some of its actions differently). */
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
/** One line: the operation, what AWS said, and for a refusal the permission to add. */
export declare function explainAwsError(error: unknown): string;
export {};
