import type { AwsClients } from '../../aws/clients.js';
/** Why another run is using the instance, or undefined when none is (pure; see above). */
export declare function otherUser(runId: string, tags: Record<string, string>, invocations: {
    CommandId?: string | undefined;
    Comment?: string | undefined;
    Status?: string | undefined;
}[]): string | undefined;
/** Reads the instance's tags and SSM's invocations on it, and says why another run is using it, if one is. */
export declare function otherRunUsing(clients: AwsClients, instanceId: string, runId: string): Promise<string | undefined>;
