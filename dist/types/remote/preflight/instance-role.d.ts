import type { AwsClients } from '../../aws/clients.js';
export declare const AGENT_ACTIONS: string[];
export type AgentRoleDecision = {
    granted: true;
    via: string;
} | {
    granted: false;
    missing: string[];
    unread: string[];
};
/** The decision over the role's inline policy documents (parsed) and its attached policies' ARNs. */
export declare function decideAgentRole(inline: {
    name: string;
    document: unknown;
}[], attached: string[]): AgentRoleDecision;
/** Reads the role's policies and throws with the fix when it certainly lacks what SSM Agent needs. */
export declare function checkAgentRole(clients: AwsClients, roleName: string, log: (line: string) => void): Promise<void>;
