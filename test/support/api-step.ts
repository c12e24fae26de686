// A program that uses the published module, as a user's script would: `loadConfig` and `sync` from the committed
// dist/api bundle (imported by the package's name), run by Node in a step's environment.
//   node test/support/api-step.ts '{"options": {...}, "waits": {...}}' RESULT_FILE
// Logs go to stderr (consoleReporter). RESULT_FILE gets {"outputs": …} or {"error": {"name", "message"}}; a failed
// run exits 1.
import fs from 'node:fs';
import { consoleReporter, loadConfig, outputsOf, type RunHooks, sync } from 'efsync-action';

interface Call {
  options: Parameters<typeof loadConfig>[0];
  waits?: RunHooks['waits'];
}

const call = JSON.parse(process.argv[2] ?? '{}') as Call;
const resultFile = process.argv[3] ?? '';
try {
  const { config, warnings } = loadConfig(call.options, { workspace: process.env.GITHUB_WORKSPACE ?? process.cwd() });
  for (const warning of warnings) consoleReporter.warning(warning);
  const result = await sync(config, consoleReporter, call.waits ? { waits: call.waits } : {});
  fs.writeFileSync(resultFile, JSON.stringify({ outputs: outputsOf(result) }));
} catch (error) {
  const { name, message } = error instanceof Error ? error : new Error(String(error));
  fs.writeFileSync(resultFile, JSON.stringify({ error: { name, message } }));
  process.exitCode = 1;
}
