// The account's On-Demand vCPU quotas. EC2 counts "the number of vCPUs assigned to the running On-Demand instances"
// against a quota per class of instance families, per Region (EC2 User Guide, Amazon EC2 service quotas, On-Demand
// Instance quotas; e.g. "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances", quota code L-1216C47A, a
// vCPU count: the AWS CLI User Guide's Service Quotas examples). A RunInstances that would pass it is refused with
// `VcpuLimitExceeded` (EC2 API reference, Error codes, https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html),
// a client error. The bed's account has AWS's default quotas:
// - Standard: 5 vCPUs, the value GetAWSDefaultServiceQuota gives for L-1216C47A ("Value": 5.0, AWS CLI User Guide,
//   Service Quotas examples, get-aws-default-service-quota), so two 2-vCPU instances run at once and a third is refused;
// - every other class: AWS documents no default value here, so the strict side, 0.
// A test whose account has raised a quota says so (settings.vcpuQuotas, kept across resets); a fault sets one for a
// while (`POST /__testbed/quotas/vcpus`, cleared with the faults).
import { DescribeInstancesCommand, DescribeInstanceTypesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { Refusal } from './zones.ts';

/** The quota classes a test can set, by the family prefixes each counts. */
export const QUOTA_CLASSES: Readonly<Record<string, RegExp>> = {
  standard: /^(a|c|d|h|i|m|r|t|z)[a-z]*\d/,
  'g-vt': /^(g|vt)\d/,
  p: /^p\d/,
  x: /^x\d/,
  f: /^f\d/,
  inf: /^inf\d/,
  trn: /^trn\d/,
  dl: /^dl\d/,
  hpc: /^hpc\d/,
};

export function quotaClassOf(type: string): string | undefined {
  return ['inf', 'trn', 'dl', 'hpc', 'g-vt', 'p', 'x', 'f', 'standard'].find((c) => QUOTA_CLASSES[c]?.test(type));
}

/** The quotas of an account that never asked for more (see above), in vCPUs per class. */
export const DEFAULT_VCPU_QUOTAS: Readonly<Record<string, number>> = Object.fromEntries(
  Object.keys(QUOTA_CLASSES).map((c) => [c, c === 'standard' ? 5 : 0]),
);

/**
 * The message EC2 gives, as quoted from RunInstances answers in public issue reports (scrapoxy/scrapoxy#202,
 * bentoml/bentoctl#202, aws/amazon-cloudwatch-agent-test#256): "You have requested more vCPU capacity than your
 * current vCPU limit of 32 allows for the instance bucket that the specified instance type belongs to. Please visit
 * http://aws.amazon.com/contact-us/ec2-request to request an adjustment to this limit."
 */
export function vcpuLimitMessage(limit: number): string {
  return (
    `You have requested more vCPU capacity than your current vCPU limit of ${limit} allows for the instance bucket ` +
    'that the specified instance type belongs to. Please visit http://aws.amazon.com/contact-us/ec2-request to ' +
    'request an adjustment to this limit.'
  );
}

async function vcpusOf(ec2: EC2Client, types: string[]): Promise<Map<string, number>> {
  const unique = [...new Set(types)];
  if (unique.length === 0) return new Map();
  const answer = await ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: unique as never }));
  return new Map((answer.InstanceTypes ?? []).map((t) => [t.InstanceType ?? '', t.VCpuInfo?.DefaultVCpus ?? 0]));
}

/** What EC2 answers a RunInstances that its class's vCPU quota has no room for, or undefined. */
export async function quotaRefusal(
  ec2: EC2Client,
  form: URLSearchParams,
  quotaOf: (quotaClass: string) => number | undefined,
): Promise<Refusal | undefined> {
  const type = form.get('InstanceType');
  const cls = type ? quotaClassOf(type) : undefined;
  const limit = cls ? quotaOf(cls) : undefined;
  if (!type || limit === undefined) return undefined;
  // Counted: pending and running instances ("running On-Demand instances"; a pending one holds its vCPUs already).
  const running = (
    await ec2.send(
      new DescribeInstancesCommand({ Filters: [{ Name: 'instance-state-name', Values: ['pending', 'running'] }] }),
    )
  ).Reservations?.flatMap((r) => r.Instances ?? []);
  const inClass = (running ?? []).flatMap((i) =>
    i.InstanceType && quotaClassOf(i.InstanceType) === cls ? [i.InstanceType] : [],
  );
  const vcpus = await vcpusOf(ec2, [type, ...inClass]);
  const used = inClass.reduce((sum, t) => sum + (vcpus.get(t) ?? 0), 0);
  const asked = (vcpus.get(type) ?? 0) * Math.max(1, Number(form.get('MinCount') ?? 1));
  if (used + asked <= limit) return undefined;
  return { code: 'VcpuLimitExceeded', message: vcpuLimitMessage(limit), status: 400 };
}
