// Several test beds for one test file, so that its cases run side by side. A case takes a bed to itself for as long as
// it runs: the faults and settings it sets, the request log it reads, and what it finds left over (instances, staged
// objects, the target it serves) are its own, exactly as with one bed per file. A case waits for a free bed.
import { type LocalAws, startLocalAws } from '../../testbed/client.ts';

export interface Lanes<T extends { aws: LocalAws }> {
  /** Every lane, for checks over all of them (the request logs, say). */
  all: T[];
  /** Runs work on a lane no other case is using, waiting for one if need be. */
  use<R>(work: (lane: T) => Promise<R>): Promise<R>;
  stop(): Promise<void>;
}

/** Starts `count` test beds side by side, each made ready by `setup` (a workspace, a first publish…). */
export async function startLanes<T extends { aws: LocalAws }>(
  count: number,
  args: string[],
  setup: (aws: LocalAws) => Promise<T>,
): Promise<Lanes<T>> {
  const started = await Promise.allSettled(Array.from({ length: count }, () => startLocalAws(args)));
  const beds = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await Promise.all(beds.map((aws) => aws.stop()));
    throw failed.reason;
  }
  let all: T[];
  try {
    all = await Promise.all(beds.map(setup));
  } catch (error) {
    await Promise.all(beds.map((aws) => aws.stop()));
    throw error;
  }
  const free = [...all];
  const waiting: ((lane: T) => void)[] = [];
  return {
    all,
    async use(work) {
      const lane = free.pop() ?? (await new Promise<T>((resolve) => waiting.push(resolve)));
      try {
        return await work(lane);
      } finally {
        const next = waiting.shift();
        if (next) next(lane);
        else free.push(lane);
      }
    },
    async stop() {
      await Promise.all(beds.map((aws) => aws.stop()));
    },
  };
}
