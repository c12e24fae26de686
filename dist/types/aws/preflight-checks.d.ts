import type { AwsClients } from './clients.js';
export declare function checkInstanceProfile(clients: AwsClients, profile: string): Promise<void>;
export declare function checkBucket(clients: AwsClients, bucket: string): Promise<void>;
