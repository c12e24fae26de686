import type { Config } from '../config/types.js';
import type { MountSpec } from '../core/protocol.js';
import { type Borrowed } from './borrowed.js';
import type { AwsClients } from './clients.js';
import { PreflightError } from './preflight-error.js';
import { type Placement } from './zones.js';
export { PreflightError };
export interface PreflightResult {
    subnetId: string;
    availabilityZone: string;
    securityGroupIds: string[];
    mount: MountSpec;
    /** The access point's root directory on the file system ('/' without one). */
    accessPointRoot: string;
    accessPointArn?: string;
    /** Architecture of each instance type, in the order they are tried. */
    instanceTypes: {
        type: string;
        architecture: 'x86_64' | 'arm64';
    }[];
    /** Where to launch, in order (zones.ts): each type in each zone with a mount target that offers it. */
    placements?: Placement[];
    /** instance-id: the user's own instance, where it is; nothing is launched. */
    borrowed?: Borrowed;
    /**
     * `instance-type: auto`: the types above are every one the run may launch (plan/instance-size.ts), narrowed to the
     * one chosen from the run's bytes once it is planned (run/size-instance.ts).
     */
    autoSize?: boolean;
    /** Parallel downloads and writes on the instance, set with the instance's size (plan/instance-size.ts). */
    concurrency?: number;
}
export declare function preflight(config: Config, clients: AwsClients, log?: (line: string) => void): Promise<PreflightResult>;
