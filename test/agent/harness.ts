// Drives the real agent (the zipapp built from agent/, as it ships) with Python 3.9, the python3 of Amazon Linux 2023: a loopback HTTP
// server stands in for S3 (presigned GETs of parts and objects, PUTs of the log and the result), and jobs and tar parts
// are made by the product's own buildJob and tar encoder, as the runner makes them.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { expect } from 'vitest';
import type { DirEntry, FileEntry, ObjectCheck, Tree } from '../../src/core/tree.ts';
import type { TargetPlan } from '../../src/plan/target-plan.ts';
import { AGENT_NAME, agentFile } from '../../src/remote/agent-file.ts';
import { buildJob, type JobInput, type StagedJob } from '../../src/remote/job.ts';
import type { AgentResult, JobManifest, StagedPart, TargetJob } from '../../src/remote/protocol.ts';
import { tarChunks } from '../../src/remote/stage/tar.ts';
import { findPython39 } from '../../testbed/sandbox.ts';
import { md5, sha256 } from '../support/hash.ts';

/** The agent as the instance gets it: efsync_agent.pyz, built from agent/ as `npm run package` builds dist/agent/. */
export const AGENT = (() => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'efsync-pyz-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, AGENT_NAME);
  fs.writeFileSync(file, agentFile().source);
  return file;
})();
export const PYTHON = findPython39();

export function tmpDir(prefix = 'efsync-agent-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

interface Served {
  body: Buffer;
  /** Answer this many GETs with a 500 first. */
  failTimes: number;
  /** Always answer with this status (e.g. 403, an expired URL). */
  status?: number | undefined;
  /** Send only this many bytes of the body, then close the connection. */
  truncateTo?: number | undefined;
  /** Send the body slowly, this many bytes every 20 ms. */
  drip?: number | undefined;
}

export interface ServeOptions {
  failTimes?: number;
  status?: number;
  truncateTo?: number;
  drip?: number;
}

/** The loopback stand-in for S3 presigned URLs. Every URL carries `secret`, which must never be printed. */
export class Bucket {
  readonly secret = `X-Amz-Signature=${crypto.randomBytes(12).toString('hex')}`;
  readonly objects = new Map<string, Served>();
  readonly puts = new Map<string, { body: Buffer; type: string | undefined }>();
  readonly gets: string[] = [];
  /** Resolved listeners waiting for a GET of a key. */
  private readonly waiters = new Map<string, () => void>();

  private readonly server: http.Server;
  readonly port: number;

  // Fields set by hand, not as parameter properties: the bench imports this file under Node's type stripping.
  private constructor(server: http.Server, port: number) {
    this.server = server;
    this.port = port;
  }

  static async start(): Promise<Bucket> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const bucket = new Bucket(server, (server.address() as AddressInfo).port);
    server.on('request', (req, res) => bucket.handle(req, res));
    return bucket;
  }

  url(key: string): string {
    return `http://127.0.0.1:${this.port}/${encodeURIComponent(key)}?${this.secret}&X-Amz-Expires=900`;
  }

  serve(key: string, body: Buffer | string, options: ServeOptions = {}): string {
    this.objects.set(key, {
      body: Buffer.from(body),
      failTimes: options.failTimes ?? 0,
      status: options.status,
      truncateTo: options.truncateTo,
      drip: options.drip,
    });
    return this.url(key);
  }

  /** Resolves when the next GET of key arrives. */
  requested(key: string): Promise<void> {
    return new Promise((resolve) => this.waiters.set(key, resolve));
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const key = decodeURIComponent(url.pathname.slice(1));
    if (!url.search.includes(this.secret)) {
      res.writeHead(403).end('signature');
      return;
    }
    if (req.method === 'PUT') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.puts.set(key, { body: Buffer.concat(chunks), type: req.headers['content-type'] });
        res.writeHead(200).end();
      });
      return;
    }
    this.gets.push(key);
    this.waiters.get(key)?.();
    this.waiters.delete(key);
    const served = this.objects.get(key);
    if (!served) {
      res.writeHead(404).end('NoSuchKey');
      return;
    }
    if (served.status) {
      res.writeHead(served.status).end('AccessDenied');
      return;
    }
    if (served.failTimes > 0) {
      served.failTimes--;
      res.writeHead(500).end('InternalError');
      return;
    }
    res.writeHead(200, { 'Content-Length': served.body.length, 'Content-Type': 'application/octet-stream' });
    if (served.truncateTo !== undefined) {
      res.write(served.body.subarray(0, served.truncateTo), () => res.destroy());
      return;
    }
    const drip = served.drip;
    if (drip) {
      let at = 0;
      const timer = setInterval(() => {
        res.write(served.body.subarray(at, at + drip));
        at += drip;
        if (at >= served.body.length) {
          clearInterval(timer);
          res.end();
        }
      }, 20);
      res.on('close', () => clearInterval(timer));
      return;
    }
    res.end(served.body);
  }
}

/** A file of a planned release: its content, mode, and where the agent gets it. */
export interface Spec {
  data: Buffer | string;
  mode?: number;
  from?: 'part' | 'url' | 'base';
  /** For url files: the ETag to announce (default: the MD5 of data). */
  etag?: string;
  /** For url files: how the agent verifies it (default: by the ETag when it is an MD5, else by size). */
  check?: ObjectCheck;
  /** For url files: serve this instead of data (a changed or corrupt object). */
  served?: Buffer | string;
  serveOptions?: ServeOptions;
}

export interface PlanOptions {
  target: string;
  releaseId: string;
  baseReleaseId?: string | null;
  files: Record<string, Spec>;
  /** Directory modes; every parent directory of a file not named here is 0o755. */
  dirs?: Record<string, number>;
  deleted?: string[];
  gzip?: boolean;
  /** Corrupt the staged part after hashing it (flip a byte in the middle). */
  corruptPart?: boolean;
}

const FILE_SYSTEM_ID = 'fs-0123456789abcdef0';
/** Where the objects of url files are served from, as an S3 source. */
const SOURCE_BUCKET = 'source-bucket';

/**
 * Plans one target as the runner does: the product's own TargetPlan and buildJob (src/remote/job.ts), with part
 * files packed into one tar part by the product's tar encoder (src/remote/stage/tar.ts) and url files served as objects of
 * an S3 source. Part names carry the release and the target, so that the parts of several targets in one job differ.
 */
export async function plan(bucket: Bucket, options: PlanOptions): Promise<{ target: TargetJob; parts: StagedPart[] }> {
  const dirModes = new Map<string, number>(Object.entries(options.dirs ?? {}));
  const files: TargetPlan['files'] = [];
  const objectChecks = new Map<string, ObjectCheck>();
  const staging = tmpDir('efsync-part-');
  for (const [file, spec] of Object.entries(options.files).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const data = Buffer.from(spec.data);
    const parts = file.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (!dirModes.has(dir)) dirModes.set(dir, 0o755);
    }
    const entry: FileEntry = { path: file, size: data.length, mode: spec.mode ?? 0o644, sha256: sha256(data) };
    const from = spec.from ?? 'part';
    if (from === 'url') {
      // An S3 object: an ETag and no sha256 (src/plan/s3-source.ts), with the check s3-objects.ts would choose.
      const etag = spec.etag ?? md5(data);
      bucket.serve(`objects/${options.releaseId}/${file}`, spec.served ?? data, spec.serveOptions);
      const { sha256: _, ...noHash } = entry;
      objectChecks.set(
        file,
        spec.check ?? (/^[0-9a-f]{32}$/.test(etag) ? { verify: 'md5', digest: etag } : { verify: 'size' }),
      );
      files.push({ ...noHash, etag, changed: true });
    } else {
      if (from === 'part') {
        fs.mkdirSync(path.join(staging, path.dirname(file)), { recursive: true });
        fs.writeFileSync(path.join(staging, file), data);
      }
      files.push({ ...entry, changed: from === 'part' });
    }
  }
  const packed = files.filter((f) => f.changed && f.etag === undefined).map(({ changed: _, ...f }) => f);
  const parts: StagedPart[] = [];
  const members = new Map<string, { part: string; member: string }>();
  if (packed.length > 0) {
    const name = `${options.releaseId}-${options.target}-0001.tar${options.gzip ? '.gz' : ''}`;
    const chunks: Buffer[] = [];
    for await (const chunk of tarChunks({ root: staging, target: options.target, files: packed })) chunks.push(chunk);
    // The runner stages plain tar; the agent also reads a gzip-compressed part (its tarfile opens either).
    const body = options.gzip ? gzipSync(Buffer.concat(chunks)) : Buffer.concat(chunks);
    const hash = sha256(body);
    if (options.corruptPart) body.writeUInt8(body.readUInt8(body.length >> 1) ^ 0xff, body.length >> 1);
    parts.push({ name, url: bucket.serve(`parts/${name}`, body), size: body.length, sha256: hash });
    for (const f of packed) members.set(f.path, { part: name, member: f.path });
  }
  fs.rmSync(staging, { recursive: true });
  const dirs: DirEntry[] = [...dirModes.entries()]
    .map(([p, mode]) => ({ path: p, mode }))
    .sort((a, b) => (a.path < b.path ? -1 : 1));
  const base = options.baseReleaseId ?? null;
  const targetPlan: TargetPlan = {
    kind: 'local',
    target: options.target,
    root: staging,
    s3Source: { bucket: SOURCE_BUCKET, prefix: `objects/${options.releaseId}/` },
    objectChecks,
    ...(base !== null && {
      previous: {
        version: 1,
        fileSystemId: FILE_SYSTEM_ID,
        target: options.target,
        kind: 'local',
        releaseId: base,
        publishedAt: '1970-01-01T00:00:00.000Z',
        tree: { files: [], dirs: [] },
      },
    }),
    tree: { files: files.map(({ changed: _, ...f }) => f), dirs },
    changes: { add: [], modify: [], delete: options.deleted ?? [] },
    files,
    dirs,
    unchanged: false,
  };
  const built = envelope(bucket.url.bind(bucket), {
    action: 'sync',
    plans: [targetPlan],
    releaseIds: { [options.target]: options.releaseId },
    parts,
    members: new Map([[options.target, members]]),
    deleteGone: true,
    objectUrl: (where, key) => {
      expect(where).toBe(SOURCE_BUCKET);
      return bucket.url(key);
    },
  });
  const target = built.targets[0] as TargetJob;
  // buildJob names the base only when a file is kept from it; a test may name it for a plan that keeps none, to
  // check that the agent refuses a plan made against another release.
  target.baseReleaseId = base;
  return { target, parts };
}

/** The job buildJob makes of these plans, with the harness's settings; `agent` as the bootstrap would find it. */
function envelope(
  url: (key: string) => string,
  input: Pick<JobInput, 'action' | 'plans' | 'releaseIds' | 'parts' | 'members' | 'deleteGone' | 'objectUrl'>,
): StagedJob {
  return buildJob({
    runId: 'run-1',
    fileSystemId: FILE_SYSTEM_ID,
    mount: {
      fileSystemId: FILE_SYSTEM_ID,
      dnsName: `${FILE_SYSTEM_ID}.efs.eu-central-1.amazonaws.com`,
      iam: false,
      plainNfsAllowed: true,
      reason: 'no policy',
    },
    lockTimeoutSeconds: 10,
    keepReleases: 3,
    keepReleasesMinutes: 0,
    concurrency: 4,
    logUrl: url('runs/run-1/agent.log'),
    resultUrl: url('runs/run-1/result.json'),
    agent: { url: url(`runs/run-1/${AGENT_NAME}`), sha256: agentFile().sha256 },
    ...input,
  });
}

/** A rollback of a target, as buildJob writes it. */
export function rollback(target: string): TargetJob {
  const targetPlan: TargetPlan = {
    kind: 'local',
    target,
    tree: { files: [], dirs: [] },
    changes: { add: [], modify: [], delete: [] },
    files: [],
    dirs: [],
    unchanged: false,
  };
  const noUrls = () => {
    throw new Error('a rollback fetches nothing');
  };
  // No URL of a rollback's job is fetched here: only its target entry is used.
  const built = envelope((key) => `http://127.0.0.1/${key}`, {
    action: 'rollback',
    plans: [targetPlan],
    releaseIds: {},
    parts: [],
    members: new Map(),
    deleteGone: false,
    objectUrl: noUrls,
  });
  return built.targets[0] as TargetJob;
}

/** The job of the planned targets: buildJob's manifest around them (their parts, in order), with `over` applied. */
export function job(
  bucket: Bucket,
  planned: { target: TargetJob; parts: StagedPart[] }[],
  over: Partial<JobManifest> = {},
): JobManifest {
  const manifest: JobManifest = {
    ...envelope(bucket.url.bind(bucket), {
      action: 'sync',
      plans: [],
      releaseIds: {},
      parts: [],
      members: new Map(),
      deleteGone: true,
      objectUrl: bucket.url.bind(bucket),
    }),
    parts: planned.flatMap((p) => p.parts),
    targets: planned.map((p) => p.target),
    ...over,
  };
  return manifest;
}

export interface AgentRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The AgentResult of the EFSYNC_RESULT line, if there was one. */
  result: AgentResult | undefined;
}

/** Runs the agent on a job, with `--mounted dir` unless mounted is null; `started` gets the child process and its TMPDIR. */
export async function runAgent(
  manifest: JobManifest,
  mounted: string | null,
  started?: (child: import('node:child_process').ChildProcess, tmpdir: string) => void,
): Promise<AgentRun> {
  const dir = tmpDir('efsync-job-');
  const jobFile = path.join(dir, 'job.json');
  fs.writeFileSync(jobFile, JSON.stringify(manifest));
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: dir };
  for (const key of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY'])
    delete env[key];
  const args = [AGENT, jobFile, ...(mounted === null ? [] : ['--mounted', mounted])];
  const child = spawn(PYTHON, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  started?.(child, dir);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString('utf8');
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
  });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('close', (c, s) => resolve([c, s])),
  );
  const partsLeft = fs.readdirSync(dir).filter((n) => n !== 'job.json');
  fs.rmSync(dir, { recursive: true, force: true });
  if (partsLeft.length > 0) throw new Error(`the agent left ${partsLeft.join(', ')} in its TMPDIR`);
  return { code, signal, stdout, stderr, result: parseResult(stdout) };
}

export function parseResult(stdout: string): AgentResult | undefined {
  const line = stdout.split('\n').find((l) => l.startsWith('EFSYNC_RESULT '));
  return line ? (JSON.parse(line.slice('EFSYNC_RESULT '.length)) as AgentResult) : undefined;
}

export interface Node {
  type: 'file' | 'dir' | 'link';
  mode: number;
  ino: number;
  /** File content (as a string of bytes in hex when not UTF-8 safe is not needed here) or link target. */
  data?: string;
}

/** Everything under root (lstat, never following links), keyed by relative path; the lock file is left out. */
export function snapshot(root: string): Map<string, Node> {
  const out = new Map<string, Node>();
  const walk = (rel: string) => {
    for (const name of fs.readdirSync(path.join(root, rel))) {
      const p = rel ? `${rel}/${name}` : name;
      if (p === '.efsync.lock') continue;
      const full = path.join(root, p);
      const st = fs.lstatSync(full);
      const mode = st.mode & 0o7777;
      if (st.isSymbolicLink()) out.set(p, { type: 'link', mode, ino: st.ino, data: fs.readlinkSync(full) });
      else if (st.isDirectory()) {
        out.set(p, { type: 'dir', mode, ino: st.ino });
        walk(p);
      } else out.set(p, { type: 'file', mode, ino: st.ino, data: fs.readFileSync(full).toString('base64') });
    }
  };
  walk('');
  return out;
}

/** The files and directories of a release dir: path -> content (utf8) for files, '<dir>' for dirs; with modes. */
export function listing(dir: string): Record<string, { data: string; mode: number }> {
  const out: Record<string, { data: string; mode: number }> = {};
  for (const [p, node] of snapshot(dir)) {
    out[p] = {
      data: node.type === 'file' ? Buffer.from(node.data ?? '', 'base64').toString('utf8') : `<${node.type}>`,
      mode: node.mode,
    };
  }
  return out;
}

export function readJson<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

/** The tree a release's .json should hold for a plan. */
/**
 * The tree the agent writes beside a release: the plan's files without their source, each with how its content was
 * verified (`verified`): sha256 when the plan gives one, else a url file's verify; a file kept from the base release
 * says what the base release's tree says.
 */
export function treeOf(target: TargetJob, base?: Tree): Tree {
  const before = new Map((base?.files ?? []).map((f) => [f.path, f.verified]));
  return {
    files: target.files.map(({ source, ...entry }): FileEntry => {
      const verified =
        source.from === 'base'
          ? before.get(entry.path)
          : entry.sha256
            ? 'sha256'
            : source.from === 'url'
              ? source.verify
              : 'size';
      return verified ? { ...entry, verified } : entry;
    }),
    dirs: target.dirs,
  };
}

/** One switch of a target, as the agent records it in history.json. */
export interface Switch {
  release: string;
  since: string | null;
  until: string | null;
  rolledBackFrom: boolean;
}

/** The switches a target's history.json records, oldest first. */
export function switches(efs: string, target = 'lib'): Switch[] {
  const dir = path.join(efs, path.dirname(target), `.${path.basename(target)}.efsync`);
  const history = readJson<{ version: 2; switches: Switch[] }>(path.join(dir, 'history.json'));
  expect(history.version).toBe(2);
  return history.switches;
}

/** The releases a target served, one per switch, oldest first. */
export const served = (efs: string, target = 'lib') => switches(efs, target).map((s) => s.release);
