import type { AwsClients } from '../aws/clients.js';
import type { Config } from '../config/types.js';
import type { Reporter } from '../core/reporter.js';
import type { Stats, SyncResult } from '../core/result.js';
export declare function sweep(config: Config, clients: AwsClients, reporter: Reporter, stats: Stats, now?: Date): Promise<SyncResult>;
