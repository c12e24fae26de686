// npm run local-aws -- --state-dir DIR [--port N] [--region R] [--online-delay-ms N] [--latency aws[:key=value,…]]
// Runs the local AWS test bed in the foreground: prints one JSON line when ready, stops on SIGINT or SIGTERM.
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseLatency } from './latency.ts';
import { MOTO_MISSING } from './moto.ts';
import { startTestbed } from './testbed.ts';

const { values } = parseArgs({
  options: {
    'state-dir': { type: 'string' },
    port: { type: 'string' },
    region: { type: 'string' },
    'online-delay-ms': { type: 'string' },
    latency: { type: 'string' },
  },
});
const stateDir = values['state-dir'] ?? path.join(os.tmpdir(), `efsync-local-aws-${process.pid}`);

try {
  // A latency model sets when SSM sees an instance Online (running, then Online); --online-delay-ms still wins.
  const latency = values.latency ? parseLatency(values.latency) : undefined;
  const onlineDelayMs = values['online-delay-ms']
    ? Number(values['online-delay-ms'])
    : latency && latency.runningAfterMs + latency.onlineAfterRunningMs;
  const { info, stop } = await startTestbed({
    stateDir,
    ...(values.port && { port: Number(values.port) }),
    ...(values.region && { region: values.region }),
    settings: { ...(onlineDelayMs !== undefined && { onlineDelayMs }), ...(latency && { latency }) },
  });
  process.stdout.write(`${JSON.stringify(info)}\n`);
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    void stop().then(() => process.exit(0));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`local-aws: ${message === MOTO_MISSING ? message : `could not start: ${message}`}\n`);
  process.exit(1);
}
