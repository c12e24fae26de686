/**
 * Sizes the run's instance once the plan says how many bytes it moves, before anything is launched: with
 * `instance-type: auto`, preflight's placements (every type of the table, core/instance-size.ts) narrow to the
 * chosen type, its others, then the smaller sizes, in that order, each in its zones as preflight ordered them; the
 * agent's concurrency follows the type. Pure: no AWS.
 */

import { agentConcurrency, chooseSize, describeChoice, SIZES } from '../../core/instance-size.js';
import type { Preflight } from '../preflight/preflight.js';
import { describePlacements, type Placement } from '../preflight/zones.js';
import { type LaunchPlan, placementsOf } from './launch.js';

export interface SizedLaunch {
  launch: LaunchPlan;
  /** What to log: the type chosen and why, and the launch order. */
  lines: string[];
}

export function sizeInstance(checked: Preflight, bytes: number): SizedLaunch {
  if (!checked.autoSize) {
    const concurrency = agentConcurrency(checked.instanceTypes[0]?.type);
    const { instanceTypes, placements } = checked;
    const launch = { instanceTypes, ...(placements && { placements }), concurrency, reuseTypes: instanceTypes };
    return { launch, lines: [] };
  }
  const choice = chooseSize(bytes);
  const all = placementsOf(checked);
  const rank = (p: Placement) => choice.types.indexOf(p.type);
  const chosen = all.filter((p) => rank(p) !== -1).sort((a, b) => rank(a) - rank(b));
  // None of the chosen type and the smaller ones is offered where the file system is: the larger ones, smallest first.
  const placements = chosen.length > 0 ? chosen : all;
  const types = [...new Set(placements.map((p) => p.type))];
  const first = placements[0];
  const zones = [
    ...new Map(all.map((p) => [p.availabilityZone, { availabilityZone: p.availabilityZone, subnetId: p.subnetId }])),
  ].map(([, zone]) => zone);
  const larger = new Set(SIZES.slice(SIZES.indexOf(choice.size)).flatMap((size) => [size.type, ...size.others]));
  const launch: LaunchPlan = {
    instanceTypes: types.flatMap((type) => checked.instanceTypes.filter((t) => t.type === type)),
    placements,
    concurrency: agentConcurrency(first?.type ?? choice.size.type),
    reuseTypes: checked.instanceTypes.filter((t) => larger.has(t.type)),
  };
  const lines = [describeChoice(choice)];
  if (first && first.type !== choice.size.type)
    lines.push(`${choice.size.type} is not offered in any zone with a mount target; launching ${first.type} instead`);
  lines.push(describePlacements(zones, placements, types));
  lines.push(`The agent runs ${launch.concurrency} downloads and writes at once on ${first?.type ?? choice.size.type}`);
  return { launch, lines };
}
