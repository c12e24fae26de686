export declare const AGENT_NAME = "efsync_agent.pyz";
export declare function agentFile(): {
    source: Buffer;
    sha256: string;
};
/**
 * The agent as one reproducible zipapp: the same sources give the same bytes, on any machine and at any time (sorted
 * entries, fixed times and modes, no compiled files, no compression whose output could change with zlib's version).
 */
export declare function buildAgent(dir: string): Buffer;
