/**
 * What a RunInstances refusal about capacity or limits means for the next try, and the quota to raise when every
 * type was refused by a limit. Codes and meanings: EC2 API reference, "Error codes for the Amazon EC2 API",
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html.
 *
 * - `InsufficientInstanceCapacity` (server error): EC2 has no capacity for the type in that zone now. Another zone,
 *   or another type, may have some: next zone, then next type.
 * - `Unsupported`: the zone has constraints on the type. Same moves.
 * - `InsufficientFreeAddressesInSubnet`: the subnet has no free private address. No type helps in that subnet; a
 *   mount target's subnet in another zone may have one: that subnet is left out for every type.
 * - `VcpuLimitExceeded`: the account's On-Demand vCPU quota for the type's class is used up in the Region ("the
 *   number of vCPUs assigned to the running On-Demand instances"). The quota is per class of families ("Running
 *   On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances", "… G and VT …", "… P …", …) and counts vCPUs, so
 *   another zone never helps, and neither does another type of the same class with as many vCPUs or more; a type
 *   of the same class with fewer vCPUs, or one of another class, may still fit. Those are tried.
 * - `InstanceLimitExceeded`: the account's older per-type instance count limit ("increase your On-Demand Instance
 *   limit for the required instance type"). Another zone does not help; another type may.
 *
 * Not handled, because this launch never asks for what they refuse: InsufficientHostCapacity (Dedicated Hosts),
 * InsufficientReservedInstanceCapacity (Reserved Instances), InsufficientCapacity (VM import),
 * InsufficientAddressCapacity (Elastic IP addresses), MaxSpotInstanceCountExceeded and UnfulfillableCapacity (Spot).
 */

export type Move = 'zone' | 'subnet' | 'smaller' | 'type';

/** How each capacity or limit answer moves the launch on; any other answer ends it. */
export const MOVES: Readonly<Record<string, Move>> = {
  InsufficientInstanceCapacity: 'zone',
  Unsupported: 'zone',
  InsufficientFreeAddressesInSubnet: 'subnet',
  VcpuLimitExceeded: 'smaller',
  InstanceLimitExceeded: 'type',
};

/** Answers about the account's limits, not about a place: when only these are left, the error names the quota. */
export const LIMITS = new Set(['VcpuLimitExceeded', 'InstanceLimitExceeded']);

export interface QuotaClass {
  /** The Service Quotas name, e.g. "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances". */
  name: string;
  /** The Service Quotas code where known. */
  code?: string;
}

const STANDARD: QuotaClass = {
  name: 'Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances',
  // Quota code of the Standard class: the AWS CLI User Guide's Service Quotas examples,
  // `aws service-quotas get-aws-default-service-quota --service-code ec2 --quota-code L-1216C47A` →
  // "QuotaName": "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances", counted in vCPUs
  // (https://docs.aws.amazon.com/cli/latest/userguide/cli_service-quotas_code_examples.html).
  code: 'L-1216C47A',
};

// The other On-Demand classes, by family prefix (EC2 User Guide, "Amazon EC2 service quotas", On-Demand Instance
// quotas). Their codes are not quoted here: the error prints the command that finds a class's code by its name.
const CLASSES: [RegExp, string][] = [
  [/^(g|vt)\d/, 'Running On-Demand G and VT instances'],
  [/^p\d/, 'Running On-Demand P instances'],
  [/^x\d/, 'Running On-Demand X instances'],
  [/^f\d/, 'Running On-Demand F instances'],
  [/^inf\d/, 'Running On-Demand Inf instances'],
  [/^trn\d/, 'Running On-Demand Trn instances'],
  [/^dl\d/, 'Running On-Demand DL instances'],
  [/^hpc\d/, 'Running On-Demand HPC instances'],
  [/^u-/, 'Running On-Demand High Memory instances'],
];

/** The On-Demand vCPU quota an instance type counts against. */
export function quotaClass(type: string): QuotaClass {
  const found = CLASSES.find(([pattern]) => pattern.test(type));
  return found ? { name: found[1] } : STANDARD;
}

/** The current limit EC2 names in a VcpuLimitExceeded message ("your current vCPU limit of 32 allows …"). */
export function currentVcpuLimit(message: string): number | undefined {
  const found = /vCPU limit of (\d+)/.exec(message);
  return found ? Number(found[1]) : undefined;
}

export interface LimitRefusal {
  type: string;
  code: string;
  message: string;
  vcpus?: number | undefined;
}

/**
 * The one error when every type was refused by a limit: which limit, which quota, and the command that asks for more
 * (Service Quotas API reference, RequestServiceQuotaIncrease; `aws service-quotas request-service-quota-increase
 * --service-code --quota-code --desired-value`).
 */
export function limitAdvice(refusals: LimitRefusal[], region: string | undefined): string {
  const where = region ? ` --region ${region}` : '';
  const lines: string[] = [];
  const byClass = new Map<string, { quota: QuotaClass; refusals: LimitRefusal[] }>();
  for (const refusal of refusals.filter((r) => r.code === 'VcpuLimitExceeded')) {
    const quota = quotaClass(refusal.type);
    const entry = byClass.get(quota.name) ?? { quota, refusals: [] };
    entry.refusals.push(refusal);
    byClass.set(quota.name, entry);
  }
  for (const { quota, refusals: some } of byClass.values()) {
    const limit = some.map((r) => currentVcpuLimit(r.message)).find((n) => n !== undefined);
    const needed = Math.min(...some.map((r) => r.vcpus ?? Number.POSITIVE_INFINITY));
    const desired = limit !== undefined && Number.isFinite(needed) ? limit + needed : undefined;
    const types = some.map((r) => `${r.type}${r.vcpus ? ` (${r.vcpus} vCPUs)` : ''}`).join(', ');
    const code = quota.code ?? '<code>';
    lines.push(
      `VcpuLimitExceeded for ${types}: the account's "${quota.name}" quota` +
        `${quota.code ? ` (${quota.code})` : ''}${limit !== undefined ? `, now ${limit} vCPUs,` : ''} is used up in ` +
        'this Region by running On-Demand instances. Stop or terminate some of them, or raise the quota: ' +
        (quota.code
          ? ''
          : `find its code with aws service-quotas list-service-quotas --service-code ec2${where} --query ` +
            `"Quotas[?QuotaName=='${quota.name}'].QuotaCode", then `) +
        `aws service-quotas request-service-quota-increase --service-code ec2 --quota-code ${code} ` +
        `--desired-value ${desired ?? '<vCPUs>'}${where}`,
    );
  }
  const counted = refusals.filter((r) => r.code === 'InstanceLimitExceeded').map((r) => r.type);
  if (counted.length)
    lines.push(
      `InstanceLimitExceeded for ${counted.join(', ')}: the account's On-Demand instance limit for the type is ` +
        'reached in this Region. Stop or terminate instances of it, or ask for a higher limit in the Service Quotas ' +
        'console (Amazon EC2)',
    );
  return lines.join('. ');
}

/** What the refusals so far rule out: types, vCPU sizes of a quota class, subnets. */
export class Skips {
  private readonly types = new Map<string, string>();
  private readonly subnets = new Map<string, string>();
  /** Per quota class: the fewest vCPUs refused by VcpuLimitExceeded; as many or more cannot fit either. */
  private readonly vcpuCeilings = new Map<string, { vcpus: number; type: string }>();

  reason(type: string, vcpus: number | undefined, subnetId: string): string | undefined {
    const byType = this.types.get(type);
    if (byType) return byType;
    const bySubnet = this.subnets.get(subnetId);
    if (bySubnet) return bySubnet;
    const ceiling = this.vcpuCeilings.get(quotaClass(type).name);
    if (ceiling && vcpus !== undefined && vcpus >= ceiling.vcpus)
      return `${vcpus} vCPUs do not fit the "${quotaClass(type).name}" quota either (${ceiling.type} was refused with VcpuLimitExceeded)`;
    return undefined;
  }

  /** Records a refusal; returns the line that says what was refused and where the launch goes next. */
  add(
    move: Move,
    name: string,
    at: { type: string; vcpus: number | undefined; availabilityZone: string; subnetId: string },
  ): string {
    const { type, vcpus, availabilityZone, subnetId } = at;
    switch (move) {
      case 'zone':
        return `${name === 'Unsupported' ? `${type} is not supported` : `No capacity for ${type}`} in ${availabilityZone} (${name}); trying the next zone, then the next instance type`;
      case 'subnet':
        this.subnets.set(subnetId, `subnet ${subnetId} has no free private address (${name})`);
        return `Subnet ${subnetId} in ${availabilityZone} has no free private address (${name}); trying the next zone`;
      case 'smaller': {
        const quota = quotaClass(type).name;
        this.types.set(type, `the account's vCPU quota refused it (${name})`);
        if (vcpus !== undefined) {
          const before = this.vcpuCeilings.get(quota);
          if (!before || vcpus < before.vcpus) this.vcpuCeilings.set(quota, { vcpus, type });
        }
        return `The account's "${quota}" vCPU quota has no room for ${type}${vcpus ? ` (${vcpus} vCPUs)` : ''} (${name}); another zone cannot help: trying a type with fewer vCPUs or of another quota class`;
      }
      default:
        this.types.set(type, `the account's instance limit refused it (${name})`);
        return `The account's instance limit refused ${type} (${name}); another zone cannot help: trying the next instance type`;
    }
  }
}
