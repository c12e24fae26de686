import type { AwsClients } from '../../aws/clients.js';
/** An instance whose image is no longer the current one is still reused while it is younger than this. */
export declare const IMAGE_GRACE_MS: number;
/** What a warm instance must match: where and how the run would launch one. */
export interface WarmWant {
    /** The stack whose role the run uses (the `efsync:stack` tag). */
    stack: string;
    fileSystemId: string;
    /** The subnets the run may launch in (preflight's placements). */
    subnetIds: string[];
    securityGroupIds: string[];
    /** Name or ARN, as the input gives it. */
    instanceProfile: string;
    /** The architectures of the run's instance types. */
    architectures: string[];
    /** The current Amazon Linux image of each architecture. */
    currentImages: Record<string, string>;
    /**
     * The instance types this run's sizing accepts (the chosen size and the larger ones with `auto`, else the listed
     * types), each with the root volume (GiB) this run would launch it with: its scratch follows the type's concurrency.
     */
    rootGiB: Record<string, number>;
}
export interface WarmCandidate {
    id: string;
    stack: string;
    fileSystemId: string;
    subnetId: string;
    securityGroupIds: string[];
    instanceProfileArn: string;
    architecture: string;
    instanceType: string;
    /** From the ROOT_GIB tag; undefined when the instance has none. */
    rootGiB: number | undefined;
    imageId: string;
    launchTime: number;
    warmUntil: number;
    online: boolean;
}
/** Why a candidate is not taken, or undefined when it is. */
export declare function warmMismatch(c: WarmCandidate, want: WarmWant, now: number): string | undefined;
/** The warm instance to reuse: of those that match, the one warm the longest. */
export declare function chooseWarm(candidates: WarmCandidate[], want: WarmWant, now: number): WarmCandidate | undefined;
/** Running efsync instances of the stack and file system that carry warm-until, as candidates (SSM's view included). */
export declare function warmCandidates(clients: AwsClients, stack: string, fileSystemId: string): Promise<WarmCandidate[]>;
/** The current Amazon Linux 2023 image of each architecture (the parameters a launch reads). */
export declare function currentImages(clients: AwsClients, architectures: string[]): Promise<Record<string, string>>;
/** What findWarm needs beyond WarmWant's plain fields: the types to accept and the scratch each would need. */
export interface WarmSizing {
    /** The types this run's sizing accepts, with their architectures. */
    types: {
        type: string;
        architecture: string;
    }[];
    /** The bytes the agent keeps on the instance's disk at once on a type (its concurrency decides). */
    scratchBytes: (type: string) => number;
}
/**
 * The root volume each accepted type would be launched with for this run: the current image's root plus the scratch
 * on that type (root-volume.ts), as a launch would compute it.
 */
export declare function rootGiBByType(clients: AwsClients, sizing: WarmSizing, images: Record<string, string>, log: (line: string) => void): Promise<Record<string, number>>;
/** Finds a warm instance to reuse, logging why each other one is not taken. */
export declare function findWarm(clients: AwsClients, want: Omit<WarmWant, 'currentImages' | 'rootGiB'>, sizing: WarmSizing, log: (line: string) => void, now?: number): Promise<WarmCandidate | undefined>;
/** The later of an ISO time and `ms` (so that two runs sharing an instance never shorten each other's time). */
export declare function laterOf(iso: string | undefined, ms: number): Date;
/**
 * Marks the instance warm until `times.warmUntil`, and sets when no run needs it any more (`expires-at`, what the
 * sweep reads); with `runId`, names the run that uses it now. Neither time ever moves earlier than it already was,
 * so that two runs sharing an instance never shorten each other's. Returns the warm-until written.
 */
export declare function tagWarm(clients: AwsClients, instanceId: string, times: {
    warmUntil: number;
    expiresAt: number;
}, runId?: string): Promise<Date>;
