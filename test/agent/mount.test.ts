// The agent without --mounted, as on an instance: it mounts the file system itself. It runs in a test bed instance
// sandbox (root, a private mount namespace, the test bed's mount and dnf shims), where an NFS or EFS mount of
// fs-<id> binds the test bed's directory of that file system, after the checks EFS makes (testbed/efs-access.ts).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_EXIT, type JobManifest, type MountSpec } from '../../src/remote/protocol.ts';
import { clientAccess } from '../../testbed/efs-access.ts';
import { type InstanceEfsView, Sandboxes } from '../../testbed/sandbox.ts';
import { AGENT, Bucket, job, parseResult, plan, tmpDir } from './harness.ts';

const FS = 'fs-0123456789abcdef0';
const AP = 'fsap-0123456789abcdef0';
const IP = '10.20.1.25';
const DNS = `${FS}.efs.eu-central-1.amazonaws.com`;
const ROLE = 'arn:aws:iam::123456789012:role/efsync-instance';
const FS_ARN = `arn:aws:elasticfilesystem:eu-central-1:123456789012:file-system/${FS}`;
const ROLE_POLICY = JSON.stringify({
  Statement: [{ Effect: 'Allow', Action: 'elasticfilesystem:Client*', Resource: FS_ARN }],
});
/** The EFS console's "Enforce in-transit encryption for all clients" (EFS User Guide, iam-access-control-nfs-efs). */
const TLS_ONLY = JSON.stringify({
  Statement: [
    { Effect: 'Deny', Principal: { AWS: '*' }, Action: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
    {
      Effect: 'Allow',
      Principal: { AWS: '*' },
      Action: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
    },
  ],
});

let bucket: Bucket;
let state: string;
let sandboxes: Sandboxes;
let instances = 0;

beforeAll(async () => {
  bucket = await Bucket.start();
  state = tmpDir('efsync-testbed-');
  sandboxes = new Sandboxes(state);
  sandboxes.syncFileSystems([FS], [{ id: AP, fs: FS, root: '/lambda', uid: 1000, gid: 1000, perms: '755' }]);
});
afterAll(async () => {
  await bucket.close();
  fs.rmSync(state, { recursive: true, force: true });
});

interface Instance {
  policy?: string;
  dns?: boolean;
  /** The instance's subnet has no route to S3: no network, so dnf cannot reach the Amazon Linux repositories. */
  noRouteToS3?: boolean;
  /** The test bed's switch: dnf fails while S3 stays reachable. */
  dnfFails?: boolean;
  /** nfs-utils is installed already (an AMI that ships the NFS client). */
  nfsClient?: boolean;
}

/** What the test bed would prepare for an instance: its hosts, the mount target, what each mount may do. */
function efsView({ policy, dns = true }: Instance): InstanceEfsView {
  const access = [false, true].flatMap((tls) =>
    [false, true].map((iam) => ({
      fileSystemId: FS,
      tls,
      iam,
      access: clientAccess(FS_ARN, policy, { tls, roleArn: iam ? ROLE : undefined, identityPolicies: [ROLE_POLICY] }),
    })),
  );
  return { hosts: dns ? [{ ip: IP, name: DNS }] : [], mountTargets: [{ ip: IP, fileSystemId: FS }], access };
}

/** Runs the agent in a new instance sandbox, as the bootstrap would; reports whether the mount outlived it. */
async function onInstance(manifest: JobManifest, instance: Instance = {}) {
  const id = `i-${String(++instances).padStart(17, '0')}`;
  sandboxes.prepareInstance(id, efsView(instance));
  if (instance.dnfFails) fs.writeFileSync(path.join(sandboxes.dir(id), 'dnf-fails'), '');
  if (instance.nfsClient) {
    fs.mkdirSync(path.join(sandboxes.dir(id), 'sbin'), { recursive: true });
    fs.writeFileSync(path.join(sandboxes.dir(id), 'sbin/mount.nfs4'), '#!/bin/sh\nexec mount -t nfs4 "$@"\n', {
      mode: 0o755,
    });
  }
  const work = path.join(sandboxes.dir(id), 'work');
  fs.mkdirSync(work, { recursive: true });
  fs.copyFileSync(AGENT, path.join(work, 'efsync_agent.pyz'));
  fs.writeFileSync(path.join(work, 'job.json'), JSON.stringify(manifest));
  const script = [
    '#!/bin/bash',
    'python3 efsync_agent.pyz job.json',
    'code=$?',
    "if grep -qE ' /mnt/efsync(/fs)? ' /proc/self/mounts; then echo STILL-MOUNTED; fi",
    "stat -c 'MOUNT-BASE %a %u' /mnt/efsync",
    'exit $code',
  ].join('\n');
  const run = sandboxes.run(id, 'script.sh', script, 'work', { network: !instance.noRouteToS3 });
  let stdout = '';
  let stderr = '';
  run.child.stdout?.on('data', (c: Buffer) => {
    stdout += c.toString('utf8');
  });
  run.child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
  });
  const { code } = await run.done;
  return { code, stdout, stderr, result: parseResult(stdout) };
}

function spec(overrides: Partial<MountSpec> = {}): MountSpec {
  return {
    fileSystemId: FS,
    dnsName: DNS,
    mountTargetIp: IP,
    iam: false,
    plainNfsAllowed: true,
    reason: 'no policy',
    ...overrides,
  };
}

async function publishJob(mount: MountSpec): Promise<JobManifest> {
  const planned = await plan(bucket, {
    target: 'lib',
    releaseId: 'r1',
    files: { 'pkg/__init__.py': { data: 'x = 1\n' } },
  });
  return job(bucket, [planned], { mount });
}

function published(root = path.join(sandboxes.efsRoot, FS)): string {
  return fs.readFileSync(path.join(root, 'lib/pkg/__init__.py'), 'utf8');
}

describe('mounting the file system', () => {
  it('installs the EFS mount helper, mounts with TLS by DNS name, publishes, and unmounts', async () => {
    const run = await onInstance(await publishJob(spec()));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(AGENT_EXIT.ok);
    expect(run.result?.status).toBe('ok');
    expect(run.stdout).toContain('installing amazon-efs-utils');
    expect(run.stdout).toContain(`mounting ${FS} with the EFS mount helper (tls): no policy`);
    expect(run.stdout).toContain(`mounted ${FS} at /mnt/efsync/fs with the EFS mount helper (tls)`);
    expect(run.stdout).toContain('unmounted /mnt/efsync/fs');
    expect(run.stdout).not.toContain('STILL-MOUNTED');
    const root = path.join(sandboxes.efsRoot, FS);
    expect(fs.readlinkSync(path.join(root, 'lib'))).toBe('.lib.efsync/r1');
    expect(published()).toBe('x = 1\n');
  });

  it('mounts in a folder only root can enter, and remounts so that the kernel follows no link on it', async () => {
    const run = await onInstance(await publishJob(spec()));
    expect(run.code).toBe(AGENT_EXIT.ok);
    expect(run.stdout).toContain('remounted /mnt/efsync/fs with nosymfollow,nosuid,nodev,noexec');
    expect(run.stdout).toContain('MOUNT-BASE 700 0');
  });

  it('planted .efsync.lock link on the mounted file system → the run fails naming it; the linked file is untouched', async () => {
    const outside = path.join(state, 'instance-disk/instance.conf');
    fs.mkdirSync(path.dirname(outside), { recursive: true });
    fs.writeFileSync(outside, 'instance settings\n');
    const lock = path.join(sandboxes.efsRoot, FS, '.efsync.lock');
    const saved = path.join(state, 'saved.lock');
    if (fs.existsSync(lock)) fs.renameSync(lock, saved);
    fs.symlinkSync(outside, lock);
    try {
      const run = await onInstance(await publishJob(spec()));
      expect(run.code).toBe(AGENT_EXIT.error);
      expect(run.result?.error).toMatch(
        /^"\/mnt\/efsync\/fs\/.efsync.lock" is a symbolic link that efsync did not make/,
      );
      expect(run.stdout).not.toContain('STILL-MOUNTED');
      expect(fs.readFileSync(outside, 'utf8')).toBe('instance settings\n');
    } finally {
      fs.rmSync(lock);
      if (fs.existsSync(saved)) fs.renameSync(saved, lock);
    }
  });

  it('mounts through an access point with TLS and IAM', async () => {
    const run = await onInstance(await publishJob(spec({ accessPointId: AP, iam: true, plainNfsAllowed: false })));
    expect(run.code).toBe(AGENT_EXIT.ok);
    expect(run.stdout).toContain(`with the EFS mount helper (tls,iam,accesspoint=${AP})`);
    expect(run.stdout).not.toContain('STILL-MOUNTED');
    // The access point's root directory is what the agent saw as the file system's root.
    expect(published(path.join(sandboxes.efsRoot, FS, 'lambda'))).toBe('x = 1\n');
  });

  it('publishes to a file system whose policy denies access without TLS', async () => {
    const run = await onInstance(await publishJob(spec({ iam: true, plainNfsAllowed: false })), { policy: TLS_ONLY });
    expect(run.code).toBe(AGENT_EXIT.ok);
    expect(run.stdout).toContain('with the EFS mount helper (tls,iam)');
    expect(published()).toBe('x = 1\n');
  });

  it("mounts by the mount target's IP when the DNS name does not resolve (DNS hostnames off)", async () => {
    const run = await onInstance(await publishJob(spec()), { dns: false });
    expect(run.code).toBe(AGENT_EXIT.ok);
    expect(run.stdout).toContain(`${DNS} does not resolve`);
    expect(run.stdout).toContain(`with the EFS mount helper (tls,mounttargetip=${IP})`);
  });

  it("takes the mount target IP of its own zone, or the first zone's when it cannot read its zone", async () => {
    // The sandbox has no instance metadata service, so the agent cannot learn its zone and uses mountTargetIp.
    const ips = { 'eu-central-1a': IP, 'eu-central-1b': '10.20.2.25' };
    const run = await onInstance(await publishJob(spec({ mountTargetIps: ips })), { dns: false });
    expect(run.code).toBe(AGENT_EXIT.ok);
    expect(run.stdout).toContain(
      "the instance's availability zone is unknown: using the mount target IP of the first zone",
    );
    expect(run.stdout).toContain(`with the EFS mount helper (tls,mounttargetip=${IP})`);
  });

  it('refuses a mountTargetIps entry that is not a zone and an IP address', async () => {
    const run = await onInstance(await publishJob(spec({ mountTargetIps: { 'eu-central-1a': 'x; reboot' } })));
    expect(run.code).not.toBe(AGENT_EXIT.ok);
    expect(run.stdout + run.stderr).toContain('invalid mount mountTargetIps');
  });

  it('falls back to plain NFSv4.1 by IP where the policy allows it and the mount helper cannot be installed', async () => {
    const run = await onInstance(await publishJob(spec()), { dns: false, dnfFails: true, nfsClient: true });
    expect(run.code).toBe(AGENT_EXIT.ok);
    expect(run.stdout).toContain('falling back to plain NFSv4.1, which this file system allows');
    expect(run.stdout).toContain(`mounted ${FS} at /mnt/efsync/fs with plain NFSv4.1`);
  });

  it('fails, naming S3, where the file system needs the mount helper and it cannot be installed', async () => {
    const run = await onInstance(await publishJob(spec({ iam: true, plainNfsAllowed: false })), {
      policy: TLS_ONLY,
      noRouteToS3: true,
    });
    expect(run.code).toBe(AGENT_EXIT.mountFailed);
    expect(run.result?.error).toMatch(
      /^dnf install -y amazon-efs-utils failed: .*This file system needs the EFS mount helper/,
    );
    expect(run.result?.error).toContain('which are in S3');
  });

  it('the test bed refuses a mount without TLS where the policy denies it', async () => {
    const id = `i-${String(++instances).padStart(17, '0')}`;
    sandboxes.prepareInstance(id, efsView({ policy: TLS_ONLY }));
    const script = [
      'dnf install -y nfs-utils >/dev/null',
      `mkdir -p /mnt/x && mount -t nfs4 -o nfsvers=4.1 ${DNS}:/ /mnt/x`,
    ].join('\n');
    const run = sandboxes.run(id, 'script.sh', script, undefined);
    let stderr = '';
    run.child.stderr?.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
    });
    expect((await run.done).code).toBe(32);
    expect(stderr).toContain('access denied by server');
  });

  it('fails at the lock, naming ClientRootAccess, when a policy squashes root of a client without iam', async () => {
    // An IAM-only policy: the role may do everything, anonymous clients may mount and write but keep no root.
    const policy = JSON.stringify({
      Statement: [
        { Effect: 'Allow', Principal: { AWS: ROLE }, Action: 'elasticfilesystem:Client*' },
        {
          Effect: 'Allow',
          Principal: { AWS: '*' },
          Action: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
        },
      ],
    });
    const without = await onInstance(await publishJob(spec({ plainNfsAllowed: false })), { policy });
    expect(without.code).toBe(AGENT_EXIT.error);
    expect(without.result?.error).toMatch(/^the file system refuses writes by root .*ClientRootAccess/);
    expect(without.stdout).not.toContain('STILL-MOUNTED');
    const withIam = await onInstance(await publishJob(spec({ iam: true, plainNfsAllowed: false })), { policy });
    expect(withIam.code).toBe(AGENT_EXIT.ok);
  });

  it('fails with exit 5 and the likely causes when the file system cannot be reached', async () => {
    sandboxes.setUnreachable(FS, true);
    const gets = bucket.gets.length;
    try {
      const run = await onInstance(await publishJob(spec()));
      expect(run.code).toBe(AGENT_EXIT.mountFailed);
      expect(run.result?.status).toBe('error');
      expect(run.result?.error).toMatch(
        new RegExp(`^cannot mount ${FS} with the EFS mount helper \\(tls\\) after \\d+ attempts: .*timed out`),
      );
      expect(run.result?.error).toContain('inbound TCP 2049');
      expect(run.result?.error).toContain('no mount target in the instance');
      expect(run.result?.error).toContain('DNS hostnames');
      expect(run.stdout).toMatch(/mount attempt 2 of/);
      expect(bucket.gets.slice(gets)).toEqual([]);
    } finally {
      sandboxes.setUnreachable(FS, false);
    }
  }, 120_000);
});
