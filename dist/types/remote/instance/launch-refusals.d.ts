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
export declare const MOVES: Readonly<Record<string, Move>>;
/** Answers about the account's limits, not about a place: when only these are left, the error names the quota. */
export declare const LIMITS: Set<string>;
export interface QuotaClass {
    /** The Service Quotas name, e.g. "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances". */
    name: string;
    /** The Service Quotas code where known. */
    code?: string;
}
/** The On-Demand vCPU quota an instance type counts against. */
export declare function quotaClass(type: string): QuotaClass;
/** The current limit EC2 names in a VcpuLimitExceeded message ("your current vCPU limit of 32 allows …"). */
export declare function currentVcpuLimit(message: string): number | undefined;
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
export declare function limitAdvice(refusals: LimitRefusal[], region: string | undefined): string;
/** What the refusals so far rule out: types, vCPU sizes of a quota class, subnets. */
export declare class Skips {
    private readonly types;
    private readonly subnets;
    /** Per quota class: the fewest vCPUs refused by VcpuLimitExceeded; as many or more cannot fit either. */
    private readonly vcpuCeilings;
    reason(type: string, vcpus: number | undefined, subnetId: string): string | undefined;
    /** Records a refusal; returns the line that says what was refused and where the launch goes next. */
    add(move: Move, name: string, at: {
        type: string;
        vcpus: number | undefined;
        availabilityZone: string;
        subnetId: string;
    }): string;
}
