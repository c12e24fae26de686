// A reboot on the test bed (reboot.ts): RebootInstances, or the reboot fault, ends the instance's runtime state (a
// pending shutdown, /tmp, running commands; SSM has it ConnectionLost while it is down), keeps /var and /etc, and at
// boot runs the systemd units enabled for multi-user.target, never the user data again.
import fs from 'node:fs';
import path from 'node:path';
import { DescribeInstancesCommand, RebootInstancesCommand } from '@aws-sdk/client-ec2';
import { DescribeInstanceInformationCommand } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients, launch, sendScript, waitDone, waitOnline } from '../test/support/local-aws.ts';
import { type LocalAws, startLocalAws } from './client.ts';

let aws: LocalAws;

beforeAll(async () => {
  aws = await startLocalAws(['--online-delay-ms', '0']);
}, 60_000);
afterAll(() => aws?.stop());

// User data as an instance's first boot runs it: a pending shutdown, a file in /var, and an enabled unit
// that records each boot (in /var/lib/efsync, which lasts) and arms the shutdown again.
const USER_DATA = [
  '#!/bin/bash',
  'shutdown -P +30',
  'echo first-boot >> /var/lib/efsync/user-data-runs',
  "cat > /var/lib/efsync/at-boot <<'EOF'",
  '#!/bin/bash',
  'echo boot >> /var/lib/efsync/boots',
  'shutdown -P +20',
  'EOF',
  "cat > /etc/systemd/system/testbed-boot.service <<'EOF'",
  '[Unit]',
  'Description=records a boot',
  '[Service]',
  'Type=oneshot',
  'ExecStart=/bin/bash /var/lib/efsync/at-boot',
  '[Install]',
  'WantedBy=multi-user.target',
  'EOF',
  'systemctl enable testbed-boot.service',
].join('\n');

async function ping(id: string): Promise<string | undefined> {
  const info = await clients(aws).ssm.send(
    new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [id] }] }),
  );
  return info.InstanceInformationList?.[0]?.PingStatus;
}

async function until(what: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await what())) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** statfs(2)'s f_type of a tmpfs (linux/magic.h). */
const TMPFS_MAGIC = 0x01021994;

describe('reboot', { timeout: 60_000 }, () => {
  it('RebootInstances: ConnectionLost, runtime state gone, /var and /etc kept, enabled units run at boot', async () => {
    const id = await launch(aws, USER_DATA);
    const dir = path.join(aws.info.stateDir, 'instances', id);
    const file = (name: string) => path.join(dir, name);
    // systemctl enable's link points at /etc/systemd/system/<unit> as the instance sees it.
    const link = file('etc/systemd/system/multi-user.target.wants/testbed-boot.service');
    await until(() => fs.lstatSync(link, { throwIfNoEntry: false }) !== undefined);
    expect(fs.readlinkSync(link)).toBe('/etc/systemd/system/testbed-boot.service');
    await waitOnline(aws, id);
    expect(fs.existsSync(file('shutdown'))).toBe(true);
    // Left in the instance's /tmp (the sandbox's tmp/) by an earlier command.
    fs.writeFileSync(file('tmp/kept-until-reboot'), 'scratch\n');
    // A command running at the reboot ends with it.
    const running = await sendScript(aws, id, ['sleep 120']);

    await clients(aws).ec2.send(new RebootInstancesCommand({ InstanceIds: [id] }));
    await until(async () => (await ping(id)) === 'ConnectionLost', 5000);
    expect(fs.existsSync(file('tmp/kept-until-reboot'))).toBe(false);
    await until(async () => (await ping(id)) === 'Online');
    // A fresh /tmp, still the tmpfs AL2023 makes it (disk.ts, Disk.tmpBytes).
    expect(fs.statfsSync(file('tmp')).type).toBe(TMPFS_MAGIC);
    expect(fs.readFileSync(file('var/lib/efsync/boots'), 'utf8')).toBe('boot\n');
    expect(fs.readFileSync(file('var/lib/efsync/user-data-runs'), 'utf8')).toBe('first-boot\n');
    // The unit armed the shutdown again: due in 20 minutes, not the user data's 30.
    const due = Number(fs.readFileSync(file('shutdown'), 'utf8')) * 1000;
    expect(due - Date.now()).toBeGreaterThan(19 * 60_000);
    expect(due - Date.now()).toBeLessThanOrEqual(20 * 60_000);
    const found = await clients(aws).ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    expect(found.Reservations?.[0]?.Instances?.[0]?.State?.Name).toBe('running');
    // The command that was running never reports: SSM gives up on it at its timeout (executionTimeout 120 s here,
    // too long to wait); it is not Success.
    const after = await sendScript(aws, id, ['echo up']);
    expect((await waitDone(aws, after, id)).StandardOutputContent).toBe('up\n');
    expect(running).not.toBe(after);

    // The reboot fault does the same, once more.
    await aws.control('POST', `/instances/${id}/reboot`);
    expect(fs.readFileSync(file('var/lib/efsync/boots'), 'utf8')).toBe('boot\nboot\n');
    expect(await ping(id)).toBe('Online');
  });

  it('a reboot without a boot unit forgets the pending shutdown', async () => {
    const id = await launch(aws, '#!/bin/bash\nshutdown -P +30\n');
    const shutdown = path.join(aws.info.stateDir, 'instances', id, 'shutdown');
    await until(() => fs.existsSync(shutdown));
    await aws.control('POST', `/instances/${id}/reboot`);
    expect(fs.existsSync(shutdown)).toBe(false);
  });
});
