import type { AwsClients } from '../aws/clients.js';
import type { Config } from '../config/types.js';
import type { Reporter } from '../core/reporter.js';
import type { ObjectCheck } from '../core/tree.js';
import type { Interpreter } from '../plan/bytecode.js';
import { type Place } from '../plan/place.js';
import { type TargetPlan } from '../plan/target-plan.js';
export interface PlanOptions {
    /** Ignore the published state's tree: every file is fetched (after a base mismatch). */
    full?: boolean;
    /** Where dependencies are installed on the runner. */
    buildDir: string;
    /** The Python that writes the dependencies' .pyc files, looked for while the run signs in (engine.ts); none: undefined. */
    compiler?: Promise<Interpreter | undefined>;
    /** Where the targets live: the file system and the access point's root directory (preflight learns it). */
    place: Place;
}
export declare function planTargets(config: Config, clients: AwsClients, reporter: Reporter, options: PlanOptions): Promise<TargetPlan[]>;
/**
 * Rollback needs no tree: each configured target, with the state that says what it serves now at this place. A state
 * at the legacy key is not read (`ownOnly`): the agent rolls back what this place serves, and its result is the state.
 */
export declare function rollbackPlans(config: Config, clients: AwsClients, place: Place): Promise<TargetPlan[]>;
/** How the S3 objects to fetch will be verified, e.g. "3 S3 objects to fetch, verified by md5 (2), size only (1)". */
export declare function describeChecks(checks: Map<string, ObjectCheck>): string | undefined;
/** `place` is where the targets live (preflight learns the access point's root); '/' of the file system by default. */
export declare function describePlan(config: Config, place?: Place): string[];
/**
 * Why a base mismatch means planning again: someone else published in between, or a state carried over from the
 * legacy key is not this place's (its release is not served here), so it is ignored.
 */
export declare function replanWarning(mismatch: Error, plans: TargetPlan[], bucket: string): string;
/** Logs what the run will do and each target's plan; returns the plans. */
export declare function reportPlan(config: Config, place: Place, plans: TargetPlan[], reporter: Reporter): TargetPlan[];
