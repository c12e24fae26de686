import type { AwsClients } from './clients.js';
/** The profile exists and has a role, and the role grants what SSM Agent needs (instance-role.ts). */
export declare function checkInstanceProfile(clients: AwsClients, profile: string, log?: (line: string) => void): Promise<void>;
export declare function checkBucket(clients: AwsClients, bucket: string): Promise<void>;
