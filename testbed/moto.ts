// Starts moto_server on a free loopback port, and stops it by PID.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * The client configuration of the test bed's own calls to moto (seeding, lookups for the IAM evaluation, routing):
 * an administrator's, signed with the key `testbed`, never through the front and so never in the request log.
 */
export function motoAdmin(motoEndpoint: string, region: string) {
  return { endpoint: motoEndpoint, region, credentials: { accessKeyId: 'testbed', secretAccessKey: 'testbed' } };
}

export const MOTO_MISSING =
  "moto_server was not found. Install it with: pip install 'moto[server]' (or put moto_server on PATH).";

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function findMoto(): string[] {
  try {
    return [execFileSync('bash', ['-c', 'command -v moto_server'], { encoding: 'utf8' }).trim()];
  } catch {}
  const shim = path.join(process.env.PYENV_ROOT ?? path.join(os.homedir(), '.pyenv'), 'shims', 'moto_server');
  if (fs.existsSync(shim)) return [shim];
  throw new Error(MOTO_MISSING);
}

export interface Moto {
  endpoint: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function startMoto(logFile: string): Promise<Moto> {
  const command = findMoto();
  const port = await freePort();
  const log = fs.openSync(logFile, 'a');
  const child = spawn(command[0] ?? 'moto_server', [...command.slice(1), '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', log, log],
    // AWS managed policies such as AmazonSSMManagedInstanceCore exist only when moto is told to load them.
    env: { ...process.env, MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' },
  });
  fs.closeSync(log);
  const endpoint = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode}; see ${logFile}`);
    try {
      const res = await fetch(`${endpoint}/moto-api/`);
      if (res.ok || res.status < 500) break;
    } catch {}
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`moto_server did not answer on ${endpoint} within 30 s; see ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    endpoint,
    process: child,
    async stop() {
      if (child.exitCode === null && child.pid) {
        process.kill(child.pid, 'SIGTERM');
        const timer = setTimeout(() => child.pid && process.kill(child.pid, 'SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}
