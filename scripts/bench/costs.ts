// The cost of one publish at AWS's public prices (prices.ts), from what the bench measured or modeled: on the writer
// function, GB-s (memory × billed duration) and requests; on a launched instance, instance-seconds at its type's
// on-demand price and its gp3 root volume prorated; a warm instance, what it costs an hour idle (instance and volume).
//
// Billed duration: Lambda bills from the moment its code starts (the Init phase included) until it returns, rounded
// up to 1 ms. The bench reads the Invoke call's time at the front (the caller's wait) and, modeled, takes off the
// model's warm invocation overhead (Lambda's own front, not the function's run): a cold start's whole wait stays in,
// though only its Init phase is billed, so a cold row is an upper bound. Instance-seconds: from launch to
// termination less the model's `pending` time (EC2 bills `running` only), at least 60 s; the volume from launch to
// termination, at least 60 s. Left out: S3 requests and storage, data transfer, CloudWatch Logs, T3 surplus CPU
// credits, and Lambda's ephemeral storage beyond 512 MB (the writer's /tmp: its price was not found in the stored
// pricing pages, and it is a thousandth of the duration's at most).

import type { LatencyModel } from '../../testbed/latency.ts';
import { LAMBDA_SCENARIOS, type LambdaReport, type LambdaSet } from './lambda-figures.ts';
import { EBS_GP3, EBS_MONTH_SECONDS, EC2_HOURLY, LAMBDA, MINIMUM_BILLED_SECONDS, priceList, REGION } from './prices.ts';
import type { ScenarioFigures } from './report.ts';

export interface CostRow {
  publish: string;
  engine: 'function' | 'launched instance' | 'warm instance';
  /** What is billed, in words: "2.00 GB × 1.234 s = 2.47 GB-s, 1 request". */
  billed: string;
  usd: number;
}

export interface CostTable {
  /** Which run the figures come from. */
  from: 'modeled' | 'local';
  region: string;
  rows: CostRow[];
  prices: { item: string; usd: number; unit: string; source: string; read: string }[];
}

function functionRow(label: string, f: ScenarioFigures, memoryMiB: number, model?: LatencyModel): CostRow {
  const b = f.billing;
  const requests = b?.invocations ?? 0;
  const overhead = (requests * (model?.lambdaWarmInvokeMs ?? 0)) / 1000;
  const seconds = Math.ceil(Math.max(0, (b?.invokeSeconds ?? 0) - overhead) * 1000) / 1000;
  const gb = memoryMiB / 1024;
  const gbSeconds = gb * seconds;
  return {
    publish: label,
    engine: 'function',
    billed: `${gb.toFixed(2)} GB × ${seconds.toFixed(3)} s = ${gbSeconds.toFixed(2)} GB-s, ${requests} request${requests === 1 ? '' : 's'}`,
    usd: gbSeconds * LAMBDA.gbSecond.usd + requests * LAMBDA.request.usd,
  };
}

function launchedRow(label: string, f: ScenarioFigures, model?: LatencyModel): CostRow | undefined {
  const launch = f.billing?.launches[0];
  if (!launch || launch.seconds === undefined) return undefined;
  const hourly = EC2_HOURLY[launch.type];
  const pending = (model?.runningAfterMs ?? 0) / 1000;
  const running = Math.max(MINIMUM_BILLED_SECONDS, launch.seconds - pending);
  const volume = Math.max(MINIMUM_BILLED_SECONDS, launch.seconds);
  const instanceUsd = hourly ? (hourly.usd * running) / 3600 : Number.NaN;
  const volumeUsd = (EBS_GP3.usd * launch.volumeGiB * volume) / EBS_MONTH_SECONDS;
  return {
    publish: label,
    engine: 'launched instance',
    billed:
      `${launch.type}: ${running.toFixed(0)} instance-s${hourly ? '' : ' (no price for this type)'}; ` +
      `${launch.volumeGiB} GiB gp3 × ${volume.toFixed(0)} s`,
    usd: instanceUsd + volumeUsd,
  };
}

function warmRow(f: ScenarioFigures): CostRow | undefined {
  const launch = f.billing?.launches[0];
  if (!launch) return undefined;
  const hourly = EC2_HOURLY[launch.type];
  const volumeUsd = (EBS_GP3.usd * launch.volumeGiB * 3600) / EBS_MONTH_SECONDS;
  return {
    publish: 'an hour idle (keep-warm), between publishes',
    engine: 'warm instance',
    billed: `${launch.type}: 3600 instance-s; ${launch.volumeGiB} GiB gp3 × 3600 s`,
    usd: (hourly?.usd ?? Number.NaN) + volumeUsd,
  };
}

/** The cost table of a lambda set: the modeled run's if there is one, else the local run's. */
export function costTable(r: LambdaReport, model?: LatencyModel): CostTable {
  const set: LambdaSet = r.modeled ?? r.local;
  const m = r.modeled ? model : undefined;
  const rows: CostRow[] = LAMBDA_SCENARIOS.map(([key, label]) => functionRow(label, set[key], r.memoryMiB, m));
  const launched = launchedRow('c. one-file change', set.oneFileLaunched, m);
  if (launched) rows.push(launched);
  const warm = warmRow(set.oneFileLaunched);
  if (warm) rows.push(warm);
  return {
    from: r.modeled ? 'modeled' : 'local',
    region: REGION,
    rows,
    prices: priceList().map(([item, p]) => ({ item, usd: p.usd, unit: p.unit, source: p.source, read: p.read })),
  };
}

/** USD with enough digits for a millionth of a dollar. */
export const usd = (n: number) => (Number.isFinite(n) ? `$${n < 0.01 ? n.toFixed(7) : n.toFixed(4)}` : '–');

export function costRows(t: CostTable): string[][] {
  return [
    ['publish', 'on', 'billed', 'cost (USD)'],
    ...t.rows.map((row) => [row.publish, row.engine, row.billed, usd(row.usd)]),
  ];
}

export function priceLines(t: CostTable): string[] {
  return t.prices.map((p) => `  ${p.item}: $${p.usd} per ${p.unit} (${p.source}, read ${p.read})`);
}
