// The agent's peak memory on a job of many S3 objects: a job of `files` url files in chunks, as the action stages it
// (src/remote/stage/job-upload.ts), every URL about 1.5 KiB long like a presigned URL with a session token, all served by one
// loopback server from one tiny shared object. The agent runs under a Python wrapper that reports its peak RSS
// (getrusage RUSAGE_CHILDREN ru_maxrss, in KiB on Linux). Used by memory.test.ts and by the bench.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { JobChunk, JobManifest, ReleaseFile } from '../../src/remote/protocol.ts';
import { chunkBody, chunkSpans } from '../../src/remote/stage/job-upload.ts';
import { md5, sha256 } from '../support/hash.ts';
import { AGENT, PYTHON } from './harness.ts';

const BODY = Buffer.from('x\n');
const MD5 = md5(BODY);
// A stand-in for X-Amz-Credential, X-Amz-Security-Token (most of a presigned URL's length) and X-Amz-Signature.
const TOKEN = crypto.randomBytes(1100).toString('base64url');

export interface MemoryRun {
  files: number;
  chunks: number;
  peakRssBytes: number;
  seconds: number;
  code: number | null;
  written: number;
  stdoutTail: string;
}

export async function measureAgentMemory(files = 100_000): Promise<MemoryRun> {
  const chunks = new Map<string, Buffer>();
  const server = http.createServer((req, res) => {
    const key = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method === 'PUT') {
      req.resume();
      req.on('end', () => res.writeHead(200).end());
      return;
    }
    const body = key.startsWith('/chunks/') ? chunks.get(key) : BODY;
    if (!body) res.writeHead(404).end();
    else res.writeHead(200, { 'Content-Length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const url = (key: string) => `${base}${key}?X-Amz-Security-Token=${TOKEN}&X-Amz-Signature=${'f'.repeat(64)}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'efsync-memory-'));
  try {
    const entries: ReleaseFile[] = [];
    for (let i = 0; i < files; i++) {
      const p = `d${Math.floor(i / 1000)}/object-${i}.bin`;
      entries.push({
        path: p,
        size: BODY.length,
        mode: 0o644,
        etag: MD5,
        source: { from: 'url', url: url(`/o/${p}`), verify: 'md5', digest: MD5 },
      });
    }
    const jobChunks: JobChunk[] = chunkSpans(entries).map((span, n) => {
      const body = chunkBody(entries, span);
      chunks.set(`/chunks/${n}`, body);
      return { url: url(`/chunks/${n}`), size: body.length, sha256: sha256(body), files: span.end - span.start };
    });
    const dirs = Array.from({ length: Math.ceil(files / 1000) }, (_, i) => ({ path: `d${i}`, mode: 0o755 }));
    entries.length = 0;
    const job: JobManifest = {
      version: 1,
      runId: 'run-memory',
      fileSystemId: 'fs-0123456789abcdef0',
      mount: {
        fileSystemId: 'fs-0123456789abcdef0',
        dnsName: 'fs-0123456789abcdef0.efs.eu-central-1.amazonaws.com',
        iam: false,
        plainNfsAllowed: true,
        reason: 'test',
      },
      lockTimeoutSeconds: 10,
      keepReleases: 3,
      keepReleasesMinutes: 0,
      concurrency: 16,
      parts: [],
      targets: [
        {
          target: 'objects',
          kind: 's3',
          action: 'sync',
          releaseId: 'r1',
          baseReleaseId: null,
          dirs,
          files: [],
          deleted: [],
          chunks: jobChunks,
        },
      ],
      logUrl: url('/runs/agent.log'),
      resultUrl: url('/runs/result.json'),
    };
    const jobFile = path.join(dir, 'job.json');
    fs.writeFileSync(jobFile, JSON.stringify(job));
    const root = path.join(dir, 'efs');
    fs.mkdirSync(root);
    const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: dir };
    for (const k of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY']) delete env[k];
    // The wrapper waits for the agent and prints the peak RSS of its largest child: the agent.
    const wrapper =
      'import resource, subprocess, sys\n' +
      'code = subprocess.call(sys.argv[1:])\n' +
      'sys.stderr.write("EFSYNC_PEAK_RSS_KIB %d\\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n' +
      'sys.exit(code)\n';
    const started = Date.now();
    const child = spawn(PYTHON, ['-c', wrapper, PYTHON, AGENT, jobFile, '--mounted', root], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout = (stdout + c.toString('utf8')).slice(-20_000);
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const kib = Number(/EFSYNC_PEAK_RSS_KIB (\d+)/.exec(stderr)?.[1] ?? Number.NaN);
    const release = path.join(root, 'objects');
    const written = fs.existsSync(release)
      ? fs.readdirSync(release).reduce((n, d) => n + fs.readdirSync(path.join(release, d)).length, 0)
      : 0;
    return {
      files,
      chunks: jobChunks.length,
      peakRssBytes: kib * 1024,
      seconds: (Date.now() - started) / 1000,
      code,
      written,
      stdoutTail: stdout.slice(-3000) + stderr.slice(-2000),
    };
  } finally {
    server.closeAllConnections();
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
