import { type AwsContext } from '../aws/client-config.js';
import type { Config } from '../config/types.js';
import type { Reporter } from '../report.js';
import type { Stats, SyncResult } from './result.js';
export declare function sweep(config: Config, aws: AwsContext, reporter: Reporter, stats: Stats, now?: Date): Promise<SyncResult>;
