export declare const AGENT_NAME = "efsync_agent.py";
export declare function agentFile(): {
    source: Buffer;
    sha256: string;
};
