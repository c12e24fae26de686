// npm run local-aws -- --state-dir DIR [--port N] [--region R] [--online-delay-ms N]
// Runs the local AWS test bed in the foreground: prints one JSON line when ready, stops on SIGINT or SIGTERM.
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { MOTO_MISSING } from './moto.ts';
import { startTestbed } from './testbed.ts';

const { values } = parseArgs({
  options: {
    'state-dir': { type: 'string' },
    port: { type: 'string' },
    region: { type: 'string' },
    'online-delay-ms': { type: 'string' },
  },
});
const stateDir = values['state-dir'] ?? path.join(os.tmpdir(), `efsync-local-aws-${process.pid}`);

try {
  const { info, stop } = await startTestbed({
    stateDir,
    ...(values.port && { port: Number(values.port) }),
    ...(values.region && { region: values.region }),
    ...(values['online-delay-ms'] && { settings: { onlineDelayMs: Number(values['online-delay-ms']) } }),
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
