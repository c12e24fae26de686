// Runs shell scripts as a test bed instance: bash as root, in a private mount namespace, with the instance's own
// /mnt, HOME and TMPDIR under <state-dir>/instances/<id>/ (TMPDIR bounded like the instance's disk, once set), and
// shims for mount, shutdown and dnf. An instance whose
// subnet has no route to S3 (routes.ts) runs them in a network namespace of its own as well: it has only a loopback
// that is down, so every connection (to the bed's S3 on 127.0.0.1 too) fails. On AWS such packets are dropped and a
// connection times out instead; here it fails at once ("Network is unreachable"). Both are a connection that never
// happens, which is what the instance's downloads tell apart from an answer of S3.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { partition } from '@aws-sdk/core/client';
import type { Disk } from './disk.ts';

const HERE = import.meta.dirname;

export interface SandboxProcess {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Kills the whole process tree of the script. */
  kill(): void;
}

/** Python 3.9, the python3 of Amazon Linux 2023, from pyenv where it is installed; else the machine's python3. */
export function findPython39(): string {
  const root = process.env.PYENV_ROOT ?? path.join(os.homedir(), '.pyenv');
  const versions = path.join(root, 'versions');
  const found = fs.existsSync(versions)
    ? fs
        .readdirSync(versions)
        .filter((v) => /^3\.9\.\d+$/.test(v))
        .map((v) => path.join(versions, v, 'bin', 'python3.9'))
        .find((p) => fs.existsSync(p))
    : undefined;
  return found ?? execFileSync('bash', ['-c', 'command -v python3'], { encoding: 'utf8' }).trim();
}

/** What one instance knows of EFS: the names it resolves, the mount targets' addresses, what each mount may do. */
export interface InstanceEfsView {
  hosts: { ip: string; name: string }[];
  mountTargets: { ip: string; fileSystemId: string }[];
  access: { fileSystemId: string; tls: boolean; iam: boolean; access: string }[];
}

export class Sandboxes {
  readonly shims: string;
  readonly efsRoot: string;
  private readonly stateDir: string;
  /** efs.<region>.<the partition's DNS suffix>: what the EFS mount helper appends to a file system id. */
  private readonly efsDomain: string;

  constructor(stateDir: string, region = 'eu-central-1') {
    this.stateDir = stateDir;
    this.efsDomain = `efs.${region}.${partition(region).dnsSuffix}`;
    this.efsRoot = path.join(stateDir, 'efs');
    this.shims = path.join(stateDir, 'shims');
    fs.mkdirSync(this.efsRoot, { recursive: true });
    fs.mkdirSync(path.join(this.efsRoot, '.access-points'), { recursive: true });
    fs.mkdirSync(path.join(this.efsRoot, '.unreachable'), { recursive: true });
    fs.mkdirSync(this.shims, { recursive: true });
    for (const name of fs.readdirSync(path.join(HERE, 'sandbox/bin'))) {
      fs.copyFileSync(path.join(HERE, 'sandbox/bin', name), path.join(this.shims, name));
      fs.chmodSync(path.join(this.shims, name), 0o755);
    }
    const python = findPython39();
    for (const name of ['python3', 'python3.9']) {
      fs.rmSync(path.join(this.shims, name), { force: true });
      fs.symlinkSync(python, path.join(this.shims, name));
    }
  }

  dir(instanceId: string): string {
    return path.join(this.stateDir, 'instances', instanceId);
  }

  /** Mirrors the file systems and access points moto knows into the directories the mount shim reads. */
  syncFileSystems(
    fileSystems: string[],
    accessPoints: {
      id: string;
      fs: string;
      root: string;
      uid?: number | undefined;
      gid?: number | undefined;
      perms?: string | undefined;
    }[],
  ): void {
    for (const id of fileSystems) fs.mkdirSync(path.join(this.efsRoot, id), { recursive: true });
    for (const ap of accessPoints) {
      const line = [ap.fs, ap.root || '/', ap.uid ?? '-', ap.gid ?? '-', ap.perms ?? '-'].join(' ');
      fs.writeFileSync(path.join(this.efsRoot, '.access-points', ap.id), `${line}\n`);
    }
  }

  /**
   * Writes the instance's /etc/hosts and resolv.conf (enter.sh binds them over the machine's): a VPC instance resolves
   * names through the VPC's Amazon DNS server, which alone knows file system DNS names; the test bed stands for it
   * with hosts entries and a resolver that answers nothing else. The mount shim reads the mount targets and access.
   */
  prepareInstance(instanceId: string, view: InstanceEfsView): void {
    const dir = this.dir(instanceId);
    fs.mkdirSync(path.join(dir, 'etc'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'efs'), { recursive: true });
    const hosts = ['127.0.0.1 localhost', '::1 localhost', ...view.hosts.map((h) => `${h.ip} ${h.name}`)];
    fs.writeFileSync(path.join(dir, 'etc/hosts'), `${hosts.join('\n')}\n`);
    fs.writeFileSync(path.join(dir, 'etc/resolv.conf'), 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n');
    const targets = view.mountTargets.map((t) => `${t.ip} ${t.fileSystemId}`);
    fs.writeFileSync(path.join(dir, 'efs/mount-targets'), `${targets.join('\n')}\n`);
    const access = view.access.map(
      (a) => `${a.fileSystemId} ${a.tls ? 'tls' : 'plain'} ${a.iam ? 'iam' : 'anonymous'} ${a.access}`,
    );
    fs.writeFileSync(path.join(dir, 'efs/access'), `${access.join('\n')}\n`);
  }

  setUnreachable(fileSystemId: string, unreachable: boolean): void {
    const flag = path.join(this.efsRoot, '.unreachable', fileSystemId);
    if (unreachable) fs.writeFileSync(flag, '');
    else fs.rmSync(flag, { force: true });
  }

  /**
   * The instance's disk (disk.ts): every script it runs from now on sees a TMPDIR of at most `disk.scratchBytes` (a
   * tmpfs mounted in the script's own mount namespace, so it starts empty for each script, where an instance's
   * /var/tmp would keep what an earlier command left). The test bed sets it from RunInstances' root volume.
   */
  setDisk(instanceId: string, disk: Disk): void {
    fs.mkdirSync(this.dir(instanceId), { recursive: true });
    fs.writeFileSync(path.join(this.dir(instanceId), 'disk.json'), `${JSON.stringify(disk)}\n`);
  }

  /** The instance's disk, if it has one. */
  disk(instanceId: string): Disk | undefined {
    try {
      return JSON.parse(fs.readFileSync(path.join(this.dir(instanceId), 'disk.json'), 'utf8')) as Disk;
    } catch {
      return undefined;
    }
  }

  /** Writes the script where the SSM agent would and starts it; without `network`, it reaches nothing outside. */
  run(
    instanceId: string,
    scriptPath: string,
    script: string,
    workingDirectory: string | undefined,
    { network = true, repos = network }: { network?: boolean; repos?: boolean } = {},
  ): SandboxProcess {
    const sandbox = this.dir(instanceId);
    for (const sub of ['mnt', 'tmp', 'root']) fs.mkdirSync(path.join(sandbox, sub), { recursive: true });
    // The dnf shim reads them: the Amazon Linux repositories are in S3, reached by names only some routes serve.
    if (network) fs.rmSync(path.join(sandbox, 'no-route-to-s3'), { force: true });
    else fs.writeFileSync(path.join(sandbox, 'no-route-to-s3'), '');
    if (repos) fs.rmSync(path.join(sandbox, 'no-route-to-repos'), { force: true });
    else fs.writeFileSync(path.join(sandbox, 'no-route-to-repos'), '');
    const scratch = this.disk(instanceId)?.scratchBytes;
    const file = path.join(sandbox, scriptPath);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, script, { mode: 0o700 });
    const workdir = workingDirectory ? path.join(sandbox, workingDirectory) : path.dirname(file);
    fs.mkdirSync(workdir, { recursive: true });
    const child = spawn(
      'unshare',
      [
        '-m',
        ...(network ? [] : ['-n']),
        '--propagation',
        'private',
        '--',
        'bash',
        path.join(HERE, 'sandbox/enter.sh'),
        sandbox,
        workdir,
        file,
      ],
      {
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          // sbin/ holds what dnf installed on this instance (mount.efs, mount.nfs4): nothing at first.
          PATH: `${path.join(sandbox, 'sbin')}:${this.shims}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
          HOME: path.join(sandbox, 'root'),
          TMPDIR: path.join(sandbox, 'tmp'),
          LANG: 'C.UTF-8',
          USER: 'root',
          EFSYNC_TESTBED_EFS: this.efsRoot,
          EFSYNC_TESTBED_SANDBOX: sandbox,
          EFSYNC_TESTBED_INSTANCE: instanceId,
          EFSYNC_TESTBED_EFS_DOMAIN: this.efsDomain,
          ...(scratch !== undefined && { EFSYNC_TESTBED_SCRATCH_BYTES: String(Math.max(4096, Math.floor(scratch))) }),
        },
      },
    );
    // The script has ended when bash exits; output is drained until its pipes close, or briefly if a background
    // process it left behind still holds them.
    const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.on('exit', (code, signal) => setTimeout(() => resolve({ code, signal }), 500).unref());
      child.on('close', (code, signal) => resolve({ code, signal }));
      child.on('error', () => resolve({ code: 127, signal: null }));
    });
    const kill = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {}
    };
    return { child, done, kill };
  }

  /** A shutdown the instance asked for: the time (ms) it is due, if any. */
  shutdownDue(instanceId: string): number | undefined {
    try {
      return Number(fs.readFileSync(path.join(this.dir(instanceId), 'shutdown'), 'utf8').trim()) * 1000;
    } catch {
      return undefined;
    }
  }
}
