// Pages: SSM answers DescribeInstanceInformation 10 nodes a page by default (testbed/paging.ts has the
// source), so a run that reads one page misses a warm instance on the next and launches a second one. The bed's
// page is shrunk to one node here, so that two instances make two pages.
import fs from 'node:fs';
import path from 'node:path';
import { RunInstancesCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAws, startLocalAws } from '../../testbed/client.ts';
import { instanceInput, motoClients } from '../support/local-aws.ts';
import { printTable, record } from './fault-harness.ts';
import { leftovers, makeWorkspace, runAction, saveRequestLog } from './support.ts';

let aws: LocalAws;
let workspace: string;
const WARM = { 'local-dir': 'models', 'timeout-minutes': '5', 'keep-warm': '10' };

beforeAll(async () => {
  aws = await startLocalAws(['--online-delay-ms', '0']);
  workspace = makeWorkspace({ 'models/a.txt': 'first\n' });
}, 60_000);
afterAll(async () => {
  printTable();
  if (aws) await saveRequestLog(aws, 'faults-pages');
  await aws?.stop();
});

describe('pages', { timeout: 300_000 }, () => {
  it('a warm instance on the second page of DescribeInstanceInformation is found Online and reused', async () => {
    await aws.reset();
    // Another warm instance of the stack and file system, launched first (so first in EC2's order, and on SSM's first
    // page: the stack's profile and the seeded subnet let SSM Agent register), that the run does not take: it has no
    // efsync:root-gib tag, so its root volume's size is not known (warm.ts).
    const { ec2 } = motoClients(aws);
    const until = new Date(Date.now() + 3_600_000).toISOString();
    const tags = [
      { Key: 'managed-by', Value: 'efsync' },
      { Key: 'efsync:stack', Value: aws.info.stackName },
      { Key: 'efsync:file-system-id', Value: aws.info.fileSystemId },
      { Key: 'efsync:warm-until', Value: until },
      { Key: 'expires-at', Value: until },
    ];
    const other =
      (
        await ec2.send(
          new RunInstancesCommand(
            instanceInput(aws, {
              ImageId: 'ami-12c6146b',
              TagSpecifications: [{ ResourceType: 'instance', Tags: tags }],
            }),
          ),
        )
      ).Instances?.[0]?.InstanceId ?? '';
    const ids = [other];
    try {
      const first = await runAction(aws, workspace, WARM);
      expect(record('pages', 'first run with keep-warm', 'published', first), first.stdout.slice(-3000)).toBe(
        'published',
      );
      const warm = first.outputs['instance-id'] ?? '';
      ids.push(warm);
      expect(first.outputs['instance-source']).toBe('launched');

      await aws.settings({ pageSizes: { DescribeInstanceInformation: 1 } });
      fs.writeFileSync(path.join(workspace, 'models/a.txt'), 'second\n');
      const since = (await aws.log()).length;
      const second = await runAction(aws, workspace, WARM);
      expect(
        record('pages', 'warm instance on the second page of DescribeInstanceInformation', 'published', second),
        second.stdout.slice(-3000),
      ).toBe('published');
      expect(second.outputs['instance-source']).toBe('reused');
      expect(second.outputs['instance-id']).toBe(warm);
      expect(second.stdout).toContain(`Warm instance ${other} is not reused`);
      const log = await aws.log(since);
      expect(log.filter((e) => e.operation === 'RunInstances')).toEqual([]);
      // Both pages were read.
      expect(log.filter((e) => e.operation === 'DescribeInstanceInformation').length).toBeGreaterThanOrEqual(2);
      ids.push(second.outputs['instance-id'] ?? '');
    } finally {
      await aws.settings({ pageSizes: {} });
      for (const id of new Set(ids.filter(Boolean))) await aws.control('POST', `/instances/${id}/terminate`);
    }
    expect(await leftovers(aws)).toEqual({ instances: [], runObjects: [] });
  });
});
