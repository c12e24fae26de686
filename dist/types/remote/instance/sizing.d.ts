/**
 * Sizes the run's instance once the plan says how many bytes it moves, before anything is launched: with
 * `instance-type: auto`, preflight's placements (every type of the table, core/instance-size.ts) narrow to the
 * chosen type, its others, then the smaller sizes, in that order, each in its zones as preflight ordered them; the
 * agent's concurrency follows the type. Pure: no AWS.
 */
import type { Preflight } from '../preflight/preflight.js';
import { type LaunchPlan } from './launch.js';
export interface SizedLaunch {
    launch: LaunchPlan;
    /** What to log: the type chosen and why, and the launch order. */
    lines: string[];
}
export declare function sizeInstance(checked: Preflight, bytes: number): SizedLaunch;
