/**
 * AWS errors in words a user can act on: which operation failed, and for a refusal, the IAM action to allow. Every
 * client gets a middleware that tags its errors with the operation, so the message can name it wherever it is caught.
 */
import { EfsyncError } from '../core/errors.js';
import { describeRefusal, readRefusal } from './refusal.js';

interface MiddlewareClient {
  middlewareStack: { add: (middleware: never, options: { step: 'initialize'; name: string }) => void };
}

// S3 operations whose IAM action has another name.
const S3_ACTIONS: Record<string, string> = {
  ListObjectsV2: 'ListBucket',
  HeadBucket: 'ListBucket',
  DeleteObjects: 'DeleteObject',
  CreateMultipartUpload: 'PutObject',
  UploadPart: 'PutObject',
  CompleteMultipartUpload: 'PutObject',
  ListMultipartUploads: 'ListBucketMultipartUploads',
  HeadObject: 'GetObject',
};

/** The IAM action that allows an API operation (S3 names some of its actions differently). */
// Lambda's Invoke is authorized as lambda:InvokeFunction ("Actions, resources, and condition keys for AWS Lambda",
// Service Authorization Reference).
const LAMBDA_ACTIONS: Record<string, string> = { Invoke: 'InvokeFunction' };
const RENAMED: Record<string, Record<string, string>> = { s3: S3_ACTIONS, lambda: LAMBDA_ACTIONS };

export function iamAction(service: string, operation: string): string {
  const renamed = Object.hasOwn(RENAMED, service) ? RENAMED[service] : undefined;
  return `${service}:${renamed && Object.hasOwn(renamed, operation) ? renamed[operation] : operation}`;
}

const DENIED = /AccessDenied|UnauthorizedOperation|Unauthorized|Forbidden|NotAuthorized/i;

export interface TaggedError extends Error {
  $efsyncAction?: string;
  $metadata?: { httpStatusCode?: number };
}

/** Adds the operation's IAM action (e.g. ec2:RunInstances) to every error the client throws. */
export function tagErrors<C extends MiddlewareClient>(client: C, service: string): C {
  const middleware =
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
      try {
        return await next(args);
      } catch (error) {
        if (error instanceof Error && context.commandName) {
          const operation = context.commandName.replace(/Command$/, '');
          (error as TaggedError).$efsyncAction = iamAction(service, operation);
        }
        throw error;
      }
    };
  client.middlewareStack.add(middleware as never, { step: 'initialize', name: 'efsyncErrorTag' });
  return client;
}

// The error names AWS gives a missing resource: FileSystemNotFound, AccessPointNotFound, InvalidSubnetID.NotFound,
// IAM's NoSuchEntity, S3's NoSuchKey / NoSuchBucket, and HeadBucket's bare NotFound.
const NOT_FOUND = /NotFound|^NoSuch/;

/** Whether AWS answered that the resource does not exist (and not, say, that access to it was denied). */
export function isNotFound(error: unknown): boolean {
  return error instanceof Error && NOT_FOUND.test(error.name) && !DENIED.test(error.name);
}

/** Whether AWS refused the call (as opposed to: the resource is missing, the input is wrong, AWS failed). */
export function isDenied(error: unknown): boolean {
  return error instanceof Error && (DENIED.test(error.name) || DENIED.test(error.message));
}

/**
 * One line: the operation, what AWS said, and for a refusal the action refused (which AWS's message may name: not
 * always the operation's own), who was refused, the fix, and how to decode AWS's encoded details (refusal.ts).
 */
export function explainAwsError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // efsync's own errors are written for the user already (a refusal among them explained where it was caught).
  if (error instanceof EfsyncError) return error.message;
  const { $efsyncAction: action } = error as TaggedError;
  const message = error.message || error.name;
  if (!action) {
    const named = isDenied(error) ? readRefusal(message).action : undefined;
    return named ? describeRefusal(named, error.name, message) : message;
  }
  if (isDenied(error)) return describeRefusal(action, error.name, error.message);
  return `${action} failed (${error.name}): ${message}`;
}
