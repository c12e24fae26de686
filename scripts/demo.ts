// npm run demo: starts the local AWS test bed and runs the committed action bundles against it exactly as a runner
// would (INPUT_* variables, GITHUB_OUTPUT, GITHUB_STATE, GITHUB_STEP_SUMMARY, then the post step), publishing
// examples/requirements.txt (from wheels built here), examples/model and the test bed's S3 model onto its EFS,
// through the writer function the template deploys. Then it runs again, to show that an unchanged run launches nothing.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseCommandFile, runBundle } from '../test/support/run-action.ts';
import { startLocalAws } from '../testbed/client.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

function show(title: string, text: string): void {
  console.log(`\n\x1b[1m== ${title}\x1b[0m`);
  for (const line of text.split('\n')) {
    if (/^::(debug|add-mask|save-state|set-output)/.test(line)) continue;
    const group = /^::group::(.*)$/.exec(line);
    if (group) console.log(`-- ${group[1]}`);
    else if (line !== '::endgroup::') console.log(`   ${line.replace(/^::(warning|error)::/, '$1: ')}`);
  }
}

/** The EFS directory as `ls` would show it: targets are symlinks to releases beside them. */
function efsTree(dir: string, depth = 0, prefix = ''): string[] {
  const lines: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) lines.push(`${prefix}${entry.name} -> ${fs.readlinkSync(full)}`);
    else if (entry.isDirectory()) {
      lines.push(`${prefix}${entry.name}/`);
      if (depth < 3) lines.push(...efsTree(full, depth + 1, `${prefix}  `));
    } else lines.push(`${prefix}${entry.name} (${fs.statSync(full).size} B)`);
  }
  return lines;
}

const aws = await startLocalAws(['--online-delay-ms', '1000']);
try {
  const { info } = aws;
  console.log(`Local AWS test bed at ${info.endpoint} (moto at ${info.motoEndpoint}); state in ${info.stateDir}`);
  const wheels = fs.mkdtempSync(path.join(os.tmpdir(), 'efsync-demo-wheels-'));
  execFileSync('python3', [
    path.join(ROOT, 'scripts/make-wheels.py'),
    wheels,
    'efsync-demo-greeting==1.0:efsync-demo-words>=1',
    'efsync-demo-words==1.2',
  ]);
  const env = {
    AWS_ENDPOINT_URL: info.endpoint,
    AWS_REGION: info.region,
    ACTIONS_ID_TOKEN_REQUEST_URL: info.oidcUrl,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: info.oidcToken,
    GITHUB_WORKSPACE: ROOT,
    GITHUB_REPOSITORY: 'efsync-test/efsync-action',
  };
  const inputs = {
    'aws-region': info.region,
    'role-to-assume': info.roleArn,
    'file-system-id': info.fileSystemId,
    'access-point-id': info.accessPointId,
    'security-group-ids': info.instanceSecurityGroupId,
    'instance-type': 't3.small',
    'staging-bucket': info.stagingBucket,
    // The template's writer function: engine auto hands it the job, and no instance is launched.
    'writer-function': info.stacks.efsync?.writerFunction ?? '',
    requirements: 'examples/requirements.txt',
    'python-version': '3.12',
    'pip-args': `--no-index --find-links ${wheels}`,
    'local-dir': 'examples/model',
    's3-source': `s3://${info.sourceBucket}/${info.sourcePrefix}`,
  };
  let status = 0;
  for (const run of ['first run: publishes everything', 'second run: nothing changed']) {
    const started = Date.now();
    const main = runBundle('main', inputs, env);
    show(`${run} (main step, ${((Date.now() - started) / 1000).toFixed(1)} s, exit ${main.status})`, main.stdout);
    show(
      'outputs',
      Object.entries(parseCommandFile(main.output))
        .map(([k, v]) => `${k} = ${v}`)
        .join('\n'),
    );
    show(
      'job summary (GITHUB_STEP_SUMMARY, HTML)',
      main.summary
        .replace(/<\/(tr|h2|p|pre|details)>/g, '\n')
        .replace(/<[^>]+>/g, ' ')
        .replace(/[ \t]+/g, ' ')
        .replace(/&#(\d+);/g, (_, code) => String.fromCharCode(Number(code)))
        .trim(),
    );
    const state = Object.fromEntries(Object.entries(parseCommandFile(main.state)).map(([k, v]) => [`STATE_${k}`, v]));
    show('post step', runBundle('post', {}, { ...env, ...state }).stdout);
    status ||= main.status ?? 1;
  }
  show(
    `EFS, as the Lambda's access point sees it (${info.stateDir}/efs/${info.fileSystemId}/lambda)`,
    efsTree(path.join(info.stateDir, 'efs', info.fileSystemId, 'lambda')).join('\n'),
  );
  process.exitCode = status;
} finally {
  await aws.stop();
}
