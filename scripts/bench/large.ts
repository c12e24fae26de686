// e. large first publish: tens of GB cannot run on this machine, so it is modeled from what can. The modeled first
// publish (b., a real run on the test bed with the AWS latency model) gives the fixed costs: its plan, the SSM
// delivery and the agent's own overhead (its remote phase less its transfer at the model's S3 rate). The instance
// type is the one `instance-type: auto` chooses for the bytes (src/core/instance-size.ts), and the transfer runs at
// its baseline bandwidth, capped by EFS's per-client throughput. Staging from the runner (at the model's S3 rate)
// overlaps the instance's boot and SSM registration, as it does in a real run.
//   floor   = plan + stage + SSM delivery + bytes / bandwidth      (the definition)
//   modeled = plan + max(stage, boot) + SSM delivery + bytes / bandwidth

import { bytesPerSecond, chooseSize } from '../../src/core/instance-size.ts';
import type { LatencyModel } from '../../testbed/latency.ts';
import type { ScenarioFigures } from './report.ts';

/** EFS per-client read/write throughput, Elastic throughput on a Regional file system (EFS User Guide, "Amazon EFS
 * performance specifications", https://docs.aws.amazon.com/efs/latest/ug/performance.html): 1,500 MiBps. */
export const EFS_CLIENT_MIBPS = 1500;

export const LARGE_SIZES_GB = [1, 10, 50, 100];

export interface LargeRow {
  bytes: number;
  type: string;
  baselineGbps: number;
  /** Bytes per second the transfer runs at: the type's baseline, or EFS's per-client cap. */
  rate: number;
  transferSeconds: number;
  floorSeconds: number;
  modeledSeconds: number;
}

/** SSM delivery and the agent's own overhead in a run measured on the modeled test bed: its remote phase less its
 * transfer at the model's S3 rate (the rate the test bed let its bytes through). */
export function deliverySeconds(figures: ScenarioFigures, model: LatencyModel): number {
  return Math.max(0, figures.phases.remote - figures.bytesUploaded / (model.s3TotalMiBps * 1048576));
}

/** The instance `instance-type: auto` chooses for `bytes`, and the rate its transfer runs at: the type's baseline
 * bandwidth, capped by EFS's per-client throughput. */
export function transferOf(bytes: number): Pick<LargeRow, 'type' | 'baselineGbps' | 'rate' | 'transferSeconds'> {
  const choice = chooseSize(bytes);
  const rate = Math.min(bytesPerSecond(choice.size.baselineGbps), EFS_CLIENT_MIBPS * 1048576);
  return { type: choice.size.type, baselineGbps: choice.size.baselineGbps, rate, transferSeconds: bytes / rate };
}

/** The floor: what a run cannot do without, wherever its instance comes from. */
export function floorSeconds(parts: {
  plan: number;
  stage: number;
  delivery: number;
  transferSeconds: number;
}): number {
  return parts.plan + parts.stage + parts.delivery + parts.transferSeconds;
}

export function modelLarge(first: ScenarioFigures, model: LatencyModel, sizesGb = LARGE_SIZES_GB): LargeRow[] {
  const s3 = model.s3TotalMiBps * 1048576;
  const delivery = deliverySeconds(first, model);
  const boot = (model.runningAfterMs + model.onlineAfterRunningMs) / 1000;
  const plan = first.phases.plan;
  return sizesGb.map((gb) => {
    const bytes = gb * 1e9;
    const transfer = transferOf(bytes);
    const stage = bytes / s3;
    return {
      bytes,
      ...transfer,
      floorSeconds: floorSeconds({ plan, stage, delivery, transferSeconds: transfer.transferSeconds }),
      modeledSeconds: plan + Math.max(stage, boot) + delivery + transfer.transferSeconds,
    };
  });
}
