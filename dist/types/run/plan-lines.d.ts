import type { Config } from '../config/types.js';
import { type Place } from '../plan/place.js';
/** `place` is where the targets live (preflight learns the access point's root); '/' of the file system by default. */
export declare function describePlan(config: Config, place?: Place): string[];
