// A function's configuration as GetFunctionConfiguration answers it (FunctionConfiguration, botocore's lambda model).
import { createHash } from 'node:crypto';
import type { LambdaFunction } from './lambda-functions.ts';

/** Lambda's timestamps: "2019-09-24T18:20:52.128+0000" (FunctionConfiguration.LastModified, ISO-8601). */
const stamp = (date: Date) => date.toISOString().replace('Z', '+0000');

/** The size and SHA-256 of the deployment package: a zip holding index.py, stored (30 + 46 + 22 bytes of headers). */
function packageOf(code: string): { size: number; sha256: string } {
  const bytes = Buffer.byteLength(code) + 2 * 'index.py'.length + 98;
  return { size: bytes, sha256: createHash('sha256').update(code).digest('base64') };
}

// StateReason wordings: "The function is being created." with Creating is Lambda's (Lambda function states, example
// of GetFunctionConfiguration, https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html); the others are the
// bed's, with the codes of the model's StateReasonCode enum (Idle, Restoring).
const REASONS: Record<string, string> = {
  Creating: 'The function is being created.',
  Restoring: 'The function is being restored.',
  Idle: 'The function is idle.',
};

/** FunctionConfiguration as botocore's lambda model shapes it. */
export function configurationOf(fn: LambdaFunction): Record<string, unknown> {
  const d = fn.definition;
  const pkg = packageOf(d.code);
  return {
    FunctionName: d.name,
    FunctionArn: d.arn,
    Runtime: d.runtime,
    Role: d.role,
    Handler: d.handler,
    CodeSize: pkg.size,
    Description: d.description,
    Timeout: d.timeoutSeconds,
    MemorySize: d.memoryMiB,
    LastModified: stamp(fn.lastModified),
    CodeSha256: pkg.sha256,
    Version: '$LATEST',
    ...(d.vpc && {
      VpcConfig: {
        SubnetIds: d.vpc.subnetIds,
        SecurityGroupIds: d.vpc.securityGroupIds,
        VpcId: fn.vpcId ?? '',
        Ipv6AllowedForDualStack: false,
      },
    }),
    ...(Object.keys(d.environment).length && { Environment: { Variables: d.environment } }),
    TracingConfig: { Mode: 'PassThrough' },
    RevisionId: fn.revisionId,
    State: fn.state,
    ...(fn.stateReasonCode && { StateReason: REASONS[fn.stateReasonCode], StateReasonCode: fn.stateReasonCode }),
    // An update that is not in progress: Successful once the function was created.
    ...(fn.stateReasonCode !== 'Creating' && { LastUpdateStatus: 'Successful' }),
    ...(d.fileSystems.length && {
      FileSystemConfigs: d.fileSystems.map((f) => ({ Arn: f.arn, LocalMountPath: f.localMountPath })),
    }),
    PackageType: 'Zip',
    Architectures: d.architectures,
    EphemeralStorage: { Size: d.ephemeralMiB },
    SnapStart: { ApplyOn: 'None', OptimizationStatus: 'Off' },
    LoggingConfig: { LogFormat: 'Text', LogGroup: `/aws/lambda/${d.name}` },
  };
}
