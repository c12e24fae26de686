// c'. and d'. on a warm instance and on a borrowed one, on one test bed (warm-figures.ts has the figures): a first
// publish with keep-warm leaves the instance warm, then a one-file change and a dependency bump reuse it; then the
// same two with instance-id on an SSM-managed instance of the user's own, launched straight at moto (as an
// administrator would, outside the action and its request log) while the first three run.
import path from 'node:path';
import { EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { DescribeInstanceInformationCommand, GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { type LatencyModel, sleep } from '../../test/local-aws/latency.ts';
import { bumpRequirements, changeOneFile, type Dataset } from './dataset.ts';
import { type Bed, runScenario } from './run.ts';
import { WARM_SOURCE, type WarmKey, type WarmSet } from './warm-figures.ts';

/** Longer than a whole set takes, so the instance is still warm for the last run that reuses it. */
const KEEP_WARM_MINUTES = '30';

/** An instance of the user's own: launched at moto directly, with no efsync tag; its id. */
async function launchOwn(bed: Bed): Promise<string> {
  const { info } = bed.aws;
  const config = {
    endpoint: info.motoEndpoint,
    region: info.region,
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  };
  const ssm = new SSMClient(config);
  const ec2 = new EC2Client(config);
  try {
    const image = await ssm.send(
      new GetParameterCommand({ Name: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64' }),
    );
    const launched = await ec2.send(
      new RunInstancesCommand({
        ImageId: image.Parameter?.Value ?? '',
        InstanceType: 't3.small',
        MinCount: 1,
        MaxCount: 1,
        SubnetId: info.subnetIds[0],
        SecurityGroupIds: [info.instanceSecurityGroupId],
        IamInstanceProfile: { Name: info.instanceProfile },
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'build-box' }] }],
      }),
    );
    return launched.Instances?.[0]?.InstanceId ?? '';
  } finally {
    ssm.destroy();
    ec2.destroy();
  }
}

/** Until SSM, through the test bed's front, has the instance Online (its boot and registration, as modeled). */
async function waitOnline(bed: Bed, id: string, seconds = 300): Promise<void> {
  const { info } = bed.aws;
  const ssm = new SSMClient({
    endpoint: info.endpoint,
    region: info.region,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  try {
    for (const end = Date.now() + seconds * 1000; Date.now() < end; await sleep(1000)) {
      const found = await ssm.send(
        new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [id] }] }),
      );
      if (found.InstanceInformationList?.[0]?.PingStatus === 'Online') return;
    }
    throw new Error(`${id} was not Online in SSM after ${seconds} s`);
  } finally {
    ssm.destroy();
  }
}

export async function warmSet(
  bed: Bed,
  dataset: Dataset,
  scratch: string,
  tag: string,
  log: (line: string) => void,
  model?: LatencyModel,
): Promise<WarmSet> {
  const targets = { lib: `lib-${tag}`, data: `data-${tag}` };
  const hashCache = path.join(scratch, `hash-cache-${tag}`);
  const run = (key: WarmKey | 'prior', inputs: Record<string, string>) =>
    runScenario(bed, {
      dataset,
      key,
      targets,
      hashCache,
      model,
      inputs,
      source: key === 'prior' ? 'launched' : WARM_SOURCE[key],
    });
  const warm = { 'keep-warm': KEEP_WARM_MINUTES };
  const own = await launchOwn(bed);
  log(`${tag}: first publish with keep-warm (leaves its instance warm; ${own} boots meanwhile)`);
  const prior = await run('prior', warm);
  log(`${tag}: c'. one-file change on the warm instance`);
  let changedFileBytes = changeOneFile(dataset);
  const oneFileWarm = { ...(await run('oneFileWarm', warm)), changedFileBytes };
  log(`${tag}: d'. dependency bump on the warm instance`);
  bumpRequirements(dataset);
  const depsWarm = await run('depsWarm', warm);
  await waitOnline(bed, own);
  log(`${tag}: c'. one-file change on instance-id ${own}`);
  changedFileBytes = changeOneFile(dataset);
  const oneFileOwn = { ...(await run('oneFileOwn', { 'instance-id': own })), changedFileBytes };
  log(`${tag}: d'. dependency bump on instance-id ${own}`);
  bumpRequirements(dataset);
  const depsOwn = await run('depsOwn', { 'instance-id': own });
  return { prior, oneFileWarm, depsWarm, oneFileOwn, depsOwn };
}
