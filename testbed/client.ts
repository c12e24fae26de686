// For tests: starts the test bed as a child process (`node testbed/main.ts`), reads its JSON line, talks to
// its control endpoint, and stops it by PID.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { CommandFault, FaultRule, Settings } from './faults.ts';
import type { LaunchFault } from './launch-faults.ts';
import type { LogEntry } from './request-log.ts';
import type { TestbedInfo } from './testbed.ts';

const MAIN = path.join(import.meta.dirname, 'main.ts');

export interface LocalAws {
  info: TestbedInfo;
  pid: number;
  /**
   * Environment for the action (or the library, or the CLI) run in-process: endpoint, region, and the action role's
   * static key, so that its calls are evaluated against the role's policies as AWS would (iam-eval.ts). A test's own
   * clients use an administrator key instead (test/support/local-aws.ts).
   */
  env: Record<string, string>;
  control<T = unknown>(method: string, route: string, body?: unknown): Promise<T>;
  fault(rule: Partial<Omit<FaultRule, 'id' | 'seen'>> & { operation: string }): Promise<FaultRule>;
  commandFault(fault: CommandFault): Promise<void>;
  /**
   * The next launched instance goes from pending straight to terminated with this StateReason (by default what EC2
   * gives when the volume's KMS key cannot be used: launch-faults.ts).
   */
  launchFault(fault?: Partial<LaunchFault>): Promise<LaunchFault>;
  /** EC2 does not offer this type in this zone (zones.ts): DescribeInstanceTypeOfferings and RunInstances agree. */
  withholdType(zone: string, type: string): Promise<void>;
  /** RunInstances in this zone answers InsufficientInstanceCapacity (zones.ts). */
  noCapacity(zone: string): Promise<void>;
  /** The account's On-Demand vCPU quota of a class, e.g. `standard` (quotas.ts): RunInstances past it answers VcpuLimitExceeded. */
  vcpuQuota(quotaClass: string, vcpus: number): Promise<void>;
  settings(settings: Partial<Settings>): Promise<Settings>;
  /**
   * Updates a stack's parameters, as a CloudFormation stack update would (e.g. SourceKmsKeyArn for a key the test
   * created): its roles get the policies the template renders with them, and the bed evaluates those.
   */
  updateStack(stackName: string, parameters: Record<string, string>): Promise<void>;
  log(since?: number): Promise<LogEntry[]>;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export async function startLocalAws(args: string[] = []): Promise<LocalAws> {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'efsync-local-aws-'));
  const child: ChildProcess = spawn(process.execPath, [MAIN, '--state-dir', stateDir, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const line = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`local-aws exited with ${code}: ${stderr}`)));
  });
  const info = JSON.parse(line) as TestbedInfo;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const control = async <T>(method: string, route: string, body?: unknown): Promise<T> => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    // A new connection for every call: a test that ran a step with spawnSync kept its event loop from seeing the
    // server close an idle kept-alive connection, and the next call on that connection would fail.
    const { status, answer } = await new Promise<{ status: number; answer: string }>((resolve, reject) => {
      const req = http.request(
        `${info.controlUrl}${route}`,
        {
          method,
          agent: false,
          headers:
            text === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, answer: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(text);
    });
    const parsed = JSON.parse(answer) as T;
    if (status < 200 || status > 299) throw new Error(`control ${method} ${route}: ${status} ${answer}`);
    return parsed;
  };
  return {
    info,
    pid: child.pid ?? 0,
    env: {
      AWS_ENDPOINT_URL: info.endpoint,
      AWS_REGION: info.region,
      AWS_ACCESS_KEY_ID: info.actionAccessKeyId,
      AWS_SECRET_ACCESS_KEY: 'testing',
    },
    control,
    fault: (rule) => control<FaultRule>('POST', '/faults', rule),
    commandFault: (fault) => control<void>('POST', '/commands', fault),
    launchFault: (fault = {}) => control<LaunchFault>('POST', '/launches', fault),
    withholdType: (zone, type) => control<void>('POST', '/zones/withheld', { zone, type }),
    noCapacity: (zone) => control<void>('POST', '/zones/no-capacity', { zone }),
    vcpuQuota: (quotaClass, vcpus) => control<void>('POST', '/quotas/vcpus', { class: quotaClass, vcpus }),
    settings: (settings) => control<Settings>('PUT', '/settings', settings),
    updateStack: async (stackName, parameters) => {
      await control('PUT', `/stacks/${stackName}/parameters`, parameters);
    },
    log: async (since = 0) => (await control<{ entries: LogEntry[] }>('GET', `/log?since=${since}`)).entries,
    reset: async () => {
      await control('DELETE', '/faults');
      await control('DELETE', '/log');
    },
    async stop() {
      if (child.exitCode === null && child.pid) {
        process.kill(child.pid, 'SIGTERM');
        await exited;
      }
      fs.rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
