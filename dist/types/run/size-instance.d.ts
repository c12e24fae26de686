/**
 * Sizes the run's instance once the plan says how many bytes it moves, before anything is launched: with
 * `instance-type: auto`, preflight's placements (every type of the table, plan/instance-size.ts) narrow to the
 * chosen type, its others, then the smaller sizes, in that order, each in its zones as preflight ordered them; the
 * agent's concurrency follows the type. Pure: no AWS.
 */
import type { PreflightResult } from '../aws/preflight.js';
export interface SizedLaunch {
    preflight: PreflightResult;
    /**
     * The types a warm instance may be of to serve this run (warm.ts): with `auto`, the chosen size and every larger one
     * (a smaller one would move the bytes slower than the sizing allows); else the listed types.
     */
    reuseTypes: {
        type: string;
        architecture: string;
    }[];
    /** What to log: the type chosen and why, and the launch order. */
    lines: string[];
}
export declare function sizeInstance(checked: PreflightResult, bytes: number): SizedLaunch;
