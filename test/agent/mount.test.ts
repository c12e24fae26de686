// The agent without --mounted, as on an instance: it mounts the file system itself. It runs in a test bed instance
// sandbox (root, a private mount namespace, the test bed's mount and dnf shims), where an NFS or EFS mount of
// fs-<id> binds the test bed's directory of that file system.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_EXIT, type JobManifest, type MountSpec } from '../../src/core/protocol.ts';
import { Sandboxes } from '../local-aws/sandbox.ts';
import { AGENT, Bucket, job, parseResult, plan, tmpDir } from './harness.ts';

const FS = 'fs-0123456789abcdef0';
const AP = 'fsap-0123456789abcdef0';

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

/** Runs the agent in a new instance sandbox, as the bootstrap would; reports whether the mount outlived it. */
async function onInstance(manifest: JobManifest) {
  const id = `i-${String(++instances).padStart(17, '0')}`;
  const work = path.join(sandboxes.dir(id), 'work');
  fs.mkdirSync(work, { recursive: true });
  fs.copyFileSync(AGENT, path.join(work, 'efsync_agent.py'));
  fs.writeFileSync(path.join(work, 'job.json'), JSON.stringify(manifest));
  const script = [
    '#!/bin/bash',
    'python3 efsync_agent.py job.json',
    'code=$?',
    "if grep -q ' /mnt/efsync ' /proc/self/mounts; then echo STILL-MOUNTED; fi",
    'exit $code',
  ].join('\n');
  const run = sandboxes.run(id, 'script.sh', script, 'work');
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

function publishJob(mount: MountSpec): JobManifest {
  const planned = plan(bucket, { target: 'lib', releaseId: 'r1', files: { 'pkg/__init__.py': { data: 'x = 1\n' } } });
  return job(bucket, [planned], { mount });
}

describe('mounting the file system', () => {
  it('mounts NFSv4 by DNS name at /mnt/efsync, publishes, and unmounts', async () => {
    const run = await onInstance(
      publishJob({ type: 'nfs4', source: `${FS}.efs.eu-central-1.amazonaws.com:/`, options: 'nfsvers=4.1,hard' }),
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(AGENT_EXIT.ok);
    expect(run.result?.status).toBe('ok');
    expect(run.stdout).toContain(`mounted ${FS}.efs.eu-central-1.amazonaws.com:/ (nfs4) at /mnt/efsync`);
    expect(run.stdout).toContain('unmounted /mnt/efsync');
    expect(run.stdout).not.toContain('STILL-MOUNTED');
    const root = path.join(sandboxes.efsRoot, FS);
    expect(fs.readlinkSync(path.join(root, 'lib'))).toBe('.lib.efsync/r1');
    expect(fs.readFileSync(path.join(root, 'lib/pkg/__init__.py'), 'utf8')).toBe('x = 1\n');
  });

  it('installs the EFS mount helper when missing and mounts through an access point with TLS', async () => {
    const run = await onInstance(publishJob({ type: 'efs', source: `${FS}:/`, options: '', accessPointId: AP }));
    expect(run.code).toBe(AGENT_EXIT.ok);
    expect(run.stdout).toContain('installing amazon-efs-utils');
    expect(run.stdout).not.toContain('STILL-MOUNTED');
    // The access point's root directory is what the agent saw as the file system's root.
    const root = path.join(sandboxes.efsRoot, FS, 'lambda');
    expect(fs.readFileSync(path.join(root, 'lib/pkg/__init__.py'), 'utf8')).toBe('x = 1\n');
  });

  it('fails with exit 5 and the likely causes when the file system cannot be reached', async () => {
    sandboxes.setUnreachable(FS, true);
    const gets = bucket.gets.length;
    try {
      const run = await onInstance(
        publishJob({ type: 'nfs4', source: `${FS}.efs.eu-central-1.amazonaws.com:/`, options: 'nfsvers=4.1' }),
      );
      expect(run.code).toBe(AGENT_EXIT.mountFailed);
      expect(run.result?.status).toBe('error');
      expect(run.result?.error).toMatch(
        new RegExp(
          `^cannot mount ${FS}\\.efs\\.eu-central-1\\.amazonaws\\.com:/ \\(nfs4\\) after \\d+ attempts: .*timed out`,
        ),
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
