/**
 * What an AWS refusal says, read from its message, so that the error can name the action that was really refused
 * (RunInstances also fails for iam:PassRole, ec2:CreateTags or kms:*), who was refused, which policy refused it, and
 * how to read the details AWS encoded.
 *
 * AWS words most refusals "User: <principal> is not authorized to perform: <action> on resource: <resource> because
 * no <type> policy allows the <action> action", or "... with an explicit deny in a <type> policy" (IAM User Guide,
 * "Troubleshooting access denied error messages", https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html).
 * S3 quotes the resource (https://docs.aws.amazon.com/AmazonS3/latest/userguide/troubleshoot-403-errors.html), EFS
 * says "on the specified resource", EC2 starts with "You are not authorized to perform this operation." and may end
 * with "Encoded authorization failure message: <message>", which `aws sts decode-authorization-message` decodes for a
 * caller allowed sts:DecodeAuthorizationMessage (https://docs.aws.amazon.com/STS/latest/APIReference/API_DecodeAuthorizationMessage.html).
 */
export interface Refusal {
    /** The IAM action AWS says was refused, e.g. iam:PassRole. */
    action?: string;
    /** Who was refused, e.g. arn:aws:sts::123456789012:assumed-role/efsync-action/run. */
    principal?: string;
    resource?: string;
    /** The policy that refused: a Deny in it (explicit), or none of its kind allowing the action. */
    policy?: {
        explicit: boolean;
        type: string;
    };
    /** EC2's encoded authorization failure message. */
    encoded?: string;
}
/** The parts of a refusal AWS's message names; an empty object when it names none. */
export declare function readRefusal(message: string): Refusal;
/** AWS's message without the encoded blob (it is given once, in the command that decodes it). */
export declare function withoutEncoded(message: string): string;
/** "role efsync-action" for an assumed role's session, "user ci" for a user; the ARN for anything else. */
export declare function principalName(arn: string): string;
/**
 * One line on a refusal: who may not do what, on what, why, the fix, and the command that decodes AWS's encoded
 * details. `operationAction` is the IAM action of the call that failed (ec2:RunInstances).
 */
export declare function describeRefusal(operationAction: string, name: string, message: string): string;
