import type { AwsClients } from '../../aws/clients.js';
import type { Config } from '../../config/types.js';
import { PreflightError } from '../../core/errors.js';
import type { MountSpec } from '../protocol.js';
import { type AccessPointFacts } from './access-point.js';
import { type Borrowed } from './borrowed.js';
import { type InstanceTypeChoice } from './checks.js';
import { type Placement } from './zones.js';
export { PreflightError };
/** What preflight checked and found: the facts a launch and a job build on. */
export interface Preflight {
    subnetId: string;
    availabilityZone: string;
    securityGroupIds: string[];
    mount: MountSpec;
    /** The access point's root directory on the file system ('/' without one). */
    accessPointRoot: string;
    accessPointArn?: string;
    /** access-point-id as EFS describes it. */
    accessPoint?: AccessPointFacts;
    /** The instance types, in the order they are tried. */
    instanceTypes: InstanceTypeChoice[];
    /** Where to launch, in order (zones.ts): each type in each zone with a mount target that offers it. */
    placements?: Placement[];
    /** instance-id: the user's own instance, where it is; nothing is launched. */
    borrowed?: Borrowed;
    /**
     * `instance-type: auto`: the types above are every one the run may launch (core/instance-size.ts), narrowed to the
     * one chosen from the run's bytes once it is planned (remote/instance/sizing.ts).
     */
    autoSize?: boolean;
    /**
     * keep-warm: why a launch would fail (no SSM reach, no route to the package repositories), held back until the run
     * knows whether it reuses a warm instance, which needs neither; launching throws it before RunInstances.
     */
    launchBlocker?: string;
}
export declare function preflight(config: Config, clients: AwsClients, log?: (line: string) => void): Promise<Preflight>;
