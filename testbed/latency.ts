// An AWS latency model for the test bed (`--latency aws`): what a run would wait for on real AWS, so that a local
// run's wall time approximates one there. Off by default: tests rely on the fast defaults.
//
// What is modeled, and where:
// - EC2: DescribeInstances shows an instance `pending` until `runningAfterMs` after its launch time (the front
//   rewrites moto's answer); SSM has it Online `onlineAfterRunningMs` later (the test bed's onlineDelayMs).
// - Every AWS API call waits `apiMs` (control plane) or `s3FirstByteMs` (S3) before it is answered.
// - S3 object bodies through the front, both ways (uploads from the runner, presigned GETs from the instance), flow
//   at most at `s3MiBps` per connection and `s3TotalMiBps` over all connections at once.
// - EFS is not in the request path (the agent writes to a local directory), so it is modeled from what the agent
//   reports: `efsSeconds()` below, which the bench adds to the remote phase.
// - Lambda (lambda-api.ts): an invocation that needs a new execution environment waits `lambdaColdStartMs` (the bed's
//   own start of the environment counted in it), one on a warm environment `lambdaWarmInvokeMs`, before the
//   function's own run time.
import { Transform, type TransformCallback } from 'node:stream';

export interface LatencyModel {
  name: string;
  /** An instance is `running` this long after its launch time (pending before). */
  runningAfterMs: number;
  /** SSM has it Online this long after it is running. */
  onlineAfterRunningMs: number;
  /** Added to every control-plane call (EC2, SSM, STS, IAM, EFS). */
  apiMs: number;
  /** Added to every S3 call before its first byte. */
  s3FirstByteMs: number;
  /** One connection's S3 throughput, MiB/s. */
  s3MiBps: number;
  /** All connections' S3 throughput together, MiB/s (the runner's or the instance's network). */
  s3TotalMiBps: number;
  /** EFS write throughput of one client, MiB/s. */
  efsMiBps: number;
  /** One NFS round trip on EFS, ms (a written file costs 5: create, write/commit, chmod, rename, close; a link 2). */
  efsOpMs: number;
  /** Files the agent writes or links at once (its thread pool). */
  efsConcurrency: number;
  /** An invocation on a new execution environment: Init, with the VPC and EFS mount (absent: none). */
  lambdaColdStartMs?: number;
  /** An invocation on a warm environment, end to end, for a function that does nothing (absent: none). */
  lambdaWarmInvokeMs?: number;
}

/** Round, documented figures for one region, a GitHub-hosted runner and a small Graviton instance. */
export const AWS_MODEL: LatencyModel = {
  name: 'aws',
  runningAfterMs: 20_000,
  onlineAfterRunningMs: 25_000,
  apiMs: 60,
  s3FirstByteMs: 30,
  s3MiBps: 80,
  s3TotalMiBps: 250,
  efsMiBps: 150,
  efsOpMs: 2,
  efsConcurrency: 16,
  // AWS publishes no cold start figure for a function in a VPC with EFS. Measured: 3,407 ms mean cold start and about
  // 270 ms per warm invocation for a 512 MB Python function with VPC and EFS ("Phase 0 EFS benchmarks", dev.robot.wtf,
  // 2026-03). The cold figure is a whole cold invocation: its breakdown gives about 2,400 ms to the VPC attach and
  // some 800 ms to that function's own work, so as a wait before the function's run it errs on the slow side.
  lambdaColdStartMs: 3407,
  lambdaWarmInvokeMs: 270,
};

export const MODELS: Record<string, LatencyModel> = { aws: AWS_MODEL };

/** Parses `--latency aws` or `--latency aws:s3MiBps=40,efsMiBps=100`. */
export function parseLatency(spec: string): LatencyModel {
  const [name = '', overrides = ''] = spec.split(':', 2);
  const base = MODELS[name];
  if (!base) throw new Error(`Unknown latency model ${JSON.stringify(name)}: use ${Object.keys(MODELS).join(', ')}.`);
  const model: LatencyModel = { ...base };
  for (const pair of overrides.split(',').filter(Boolean)) {
    const [key = '', value = ''] = pair.split('=', 2);
    if (!(key in model) || key === 'name' || !Number.isFinite(Number(value)) || Number(value) < 0) {
      throw new Error(`Bad latency setting ${JSON.stringify(pair)}: use one of the model's numeric keys=number.`);
    }
    (model as unknown as Record<string, number>)[key] = Number(value);
  }
  return model;
}

/** Seconds EFS adds to the remote phase for what the agent wrote and linked. */
export function efsSeconds(
  model: LatencyModel,
  work: { bytesWritten: number; filesWritten: number; filesLinked: number },
): number {
  const ops = work.filesWritten * 5 + work.filesLinked * 2;
  return work.bytesWritten / (model.efsMiBps * 1048576) + (ops * model.efsOpMs) / 1000 / model.efsConcurrency;
}

/** A shared pipe: each caller reserves time for its bytes, in the order they come. */
export class Bandwidth {
  private next = 0;
  private readonly bytesPerMs: number;

  constructor(mibps: number) {
    this.bytesPerMs = (mibps * 1048576) / 1000;
  }

  /** How long to wait before these bytes have passed. */
  reserve(bytes: number): number {
    const now = Date.now();
    this.next = Math.max(now, this.next) + bytes / this.bytesPerMs;
    return this.next - now;
  }
}

/** A stream that lets bytes through at one connection's rate and within the shared pipe. */
export function throttle(model: LatencyModel, shared: Bandwidth): Transform {
  const own = new Bandwidth(model.s3MiBps);
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      const wait = Math.max(own.reserve(chunk.length), shared.reserve(chunk.length));
      setTimeout(() => callback(null, chunk), wait);
    },
  });
}

/**
 * Rewrites a DescribeInstances answer from moto (EC2 query XML): an instance moto has `running` whose launch time
 * is less than runningAfterMs ago is shown `pending` (code 0), as EC2 would show it while it boots.
 */
export function pendingUntilBooted(xml: string, model: LatencyModel, now = Date.now()): string {
  return xml.replace(/<instanceId>i-[0-9a-f]+<\/instanceId>[\s\S]*?(?=<instanceId>i-|$)/g, (item) => {
    const launched = /<launchTime>([^<]+)<\/launchTime>/.exec(item)?.[1];
    if (!launched || now - Date.parse(launched) >= model.runningAfterMs) return item;
    return item.replace(
      /<instanceState>\s*<code>16<\/code>\s*<name>running<\/name>\s*<\/instanceState>/,
      '<instanceState><code>0</code><name>pending</name></instanceState>',
    );
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
