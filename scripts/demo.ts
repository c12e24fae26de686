// npm run demo: starts the local AWS test bed, then runs the action's committed bundles against it exactly as a
// runner would (INPUT_* variables, GITHUB_OUTPUT, GITHUB_STATE, then the post step), and stops the test bed.
import { startLocalAws } from '../test/local-aws/client.ts';
import { parseCommandFile, runBundle } from '../test/support/run-action.ts';

const aws = await startLocalAws();
try {
  const { info } = aws;
  console.log(`Local AWS test bed at ${info.endpoint} (moto at ${info.motoEndpoint}), state in ${info.stateDir}\n`);
  const env = {
    ...aws.env,
    ACTIONS_ID_TOKEN_REQUEST_URL: info.oidcUrl,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: info.oidcToken,
    GITHUB_WORKSPACE: process.cwd(),
  };
  const inputs = {
    'aws-region': info.region,
    'role-to-assume': info.roleArn,
    'file-system-id': info.fileSystemId,
    'access-point-id': info.accessPointId,
    'staging-bucket': info.stagingBucket,
    requirements: 'examples/requirements.txt',
    's3-source': `s3://${info.sourceBucket}/${info.sourcePrefix}`,
    'dry-run': 'true',
  };
  console.log('== main step (dist/main/index.js)');
  const main = runBundle('main', inputs, env);
  process.stdout.write(main.stdout);
  console.log('\n== outputs (GITHUB_OUTPUT)');
  for (const [name, value] of Object.entries(parseCommandFile(main.output))) console.log(`${name} = ${value}`);
  const state = Object.fromEntries(
    Object.entries(parseCommandFile(main.state)).map(([name, value]) => [`STATE_${name}`, value]),
  );
  console.log('\n== post step (dist/post/index.js)');
  process.stdout.write(runBundle('post', {}, { ...env, ...state }).stdout);
  process.exitCode = main.status ?? 1;
} finally {
  await aws.stop();
}
