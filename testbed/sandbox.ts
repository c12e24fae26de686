// Runs shell scripts as a test bed instance: bash as root, in a private mount namespace, with the instance's own /mnt,
// /tmp and /var/tmp under <state-dir>/instances/<id>/ (its root volume bounded like the instance's disk, once set), the
// environment SSM Agent gives a command (see run()), and shims for mount, shutdown and dnf. An instance whose
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

/**
 * Where a script sees the test bed's state directory. The instance's own /tmp and /var/tmp are bound over the machine's
 * in the script's namespace, and a state directory under /tmp would vanish behind them: enter.sh binds it here first
 * (the mount point, an empty directory, is made on the machine once).
 */
export const BED_VIEW = '/run/efsync-testbed';

export class Sandboxes {
  readonly shims: string;
  readonly efsRoot: string;
  private readonly stateDir: string;
  /** efs.<region>.<the partition's DNS suffix>: what the EFS mount helper appends to a file system id. */
  private readonly efsDomain: string;
  private readonly region: string;
  /** Instances whose root volume is a tmpfs mounted by setDisk, unmounted by release(). */
  private readonly volumes = new Set<string>();
  /** Instances whose /tmp is a tmpfs mounted by setDisk, with its size. */
  private readonly tmps = new Map<string, number>();

  constructor(stateDir: string, region = 'eu-central-1') {
    this.stateDir = path.resolve(stateDir);
    this.region = region;
    this.efsDomain = `efs.${region}.${partition(region).dnsSuffix}`;
    this.efsRoot = path.join(this.stateDir, 'efs');
    this.shims = path.join(this.stateDir, 'shims');
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

  /** A path of the test bed's state directory as the instance's scripts see it (BED_VIEW). */
  seen(hostPath: string): string {
    const rel = path.relative(this.stateDir, path.resolve(hostPath));
    if (rel.startsWith('..') || path.isAbsolute(rel)) return hostPath;
    return path.join(BED_VIEW, rel);
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
   * The instance's disk (disk.ts): its root volume, which holds /var (so /var/tmp, where the agent keeps staged parts,
   * /var/lib/efsync, and the scripts SSM Agent writes under /var/lib/amazon/ssm), holds at most `disk.scratchBytes`. A
   * tmpfs of that size mounted at the instance's var/ in the test bed's own mount namespace, so that what one command
   * leaves there the next one finds, as on an EBS volume; release() unmounts it. The test bed sets it from RunInstances'
   * root volume, before the instance's first script.
   */
  setDisk(instanceId: string, disk: Disk): void {
    const dir = this.dir(instanceId);
    fs.mkdirSync(path.join(dir, 'var'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'disk.json'), `${JSON.stringify(disk)}\n`);
    if (this.volumes.has(instanceId)) return;
    const size = Math.max(4096, Math.floor(disk.scratchBytes));
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'efsync-root-volume', path.join(dir, 'var')]);
    this.volumes.add(instanceId);
    if (disk.tmpBytes !== undefined) this.mountTmp(instanceId, disk.tmpBytes);
  }

  /** The instance's /tmp as AL2023 makes it (disk.ts, Disk.tmpBytes): a tmpfs bounded in bytes and inodes. */
  private mountTmp(instanceId: string, bytes: number): void {
    const tmp = path.join(this.dir(instanceId), 'tmp');
    fs.mkdirSync(tmp, { recursive: true });
    const options = `size=${Math.max(4096, bytes)},nr_inodes=1000000,mode=1777`;
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'efsync-tmp', tmp]);
    this.tmps.set(instanceId, bytes);
  }

  /** Unmounts the root volumes setDisk mounted (all, or one instance's): its files are gone, as with the volume. */
  release(instanceId?: string): void {
    for (const id of instanceId ? [instanceId] : [...this.volumes]) {
      if (this.tmps.delete(id)) unmount(path.join(this.dir(id), 'tmp'));
      if (!this.volumes.delete(id)) continue;
      unmount(path.join(this.dir(id), 'var'));
    }
  }

  /** The instance's metadata service endpoint (imds.ts), given to its scripts; see run(). */
  setImdsEndpoint(instanceId: string, endpoint: string): void {
    fs.mkdirSync(this.dir(instanceId), { recursive: true });
    fs.writeFileSync(path.join(this.dir(instanceId), 'imds-endpoint'), `${endpoint}\n`);
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
    for (const sub of ['mnt', 'tmp', 'var/tmp']) fs.mkdirSync(path.join(sandbox, sub), { recursive: true });
    // The dnf shim reads them: the Amazon Linux repositories are in S3, reached by names only some routes serve.
    if (network) fs.rmSync(path.join(sandbox, 'no-route-to-s3'), { force: true });
    else fs.writeFileSync(path.join(sandbox, 'no-route-to-s3'), '');
    if (repos) fs.rmSync(path.join(sandbox, 'no-route-to-repos'), { force: true });
    else fs.writeFileSync(path.join(sandbox, 'no-route-to-repos'), '');
    const file = path.join(sandbox, scriptPath);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, script, { mode: 0o700 });
    const workdir = workingDirectory ? path.join(sandbox, workingDirectory) : path.dirname(file);
    fs.mkdirSync(workdir, { recursive: true });
    let imds: string | undefined;
    try {
      imds = fs.readFileSync(path.join(sandbox, 'imds-endpoint'), 'utf8').trim();
    } catch {}
    const seen = this.seen(sandbox);
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
        this.stateDir,
        seen,
        this.seen(workdir),
        this.seen(file),
      ],
      {
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        // What SSM Agent gives an aws:runShellScript command: its own environment plus AWS_SSM_INSTANCE_ID,
        // AWS_SSM_REGION_NAME, AWS_SSM_PLATFORM_NAME and AWS_SSM_PLATFORM_VERSION (prepareEnvironment in
        // agent/executers/executers.go of aws/amazon-ssm-agent; HOME is added only for PowerShell, in
        // executers_unix.go). Its own is a systemd system service's: the unit (packaging/linux/amazon-ssm-agent.service)
        // sets no User= and no Environment=, and systemd sets only PATH and the locale for such a service, $HOME and
        // $USER only for units with User= (systemd.exec(5), Environment variables in spawned processes). So no TMPDIR,
        // no HOME, no USER: mktemp and Python's tempfile use /tmp.
        env: {
          // sbin/ holds what dnf installed on this instance (mount.efs, mount.nfs4): nothing at first.
          PATH: `${path.join(seen, 'sbin')}:${this.seen(this.shims)}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
          LANG: 'C.UTF-8',
          AWS_SSM_INSTANCE_ID: instanceId,
          AWS_SSM_REGION_NAME: this.region,
          AWS_SSM_PLATFORM_NAME: 'Amazon Linux',
          AWS_SSM_PLATFORM_VERSION: '2023',
          // The one departure: the test bed cannot answer on 169.254.169.254 (it serves on loopback only), so the
          // instance's metadata service (imds.ts) is named by the variable AWS SDKs and the CLI read for its endpoint
          // (AWS_EC2_METADATA_SERVICE_ENDPOINT, "IMDS credential provider", AWS SDKs and Tools Reference Guide), which
          // the agent honours as they do. Unset on AWS, where the agent uses the link-local address.
          ...(imds && { AWS_EC2_METADATA_SERVICE_ENDPOINT: imds }),
          EFSYNC_TESTBED_EFS: this.seen(this.efsRoot),
          EFSYNC_TESTBED_SANDBOX: seen,
          EFSYNC_TESTBED_INSTANCE: instanceId,
          EFSYNC_TESTBED_EFS_DOMAIN: this.efsDomain,
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

  /**
   * A reboot's end of runtime state (reboot.ts): the pending shutdown, /run and /tmp; /var and /etc are on the root
   * volume and stay.
   */
  clearRuntime(instanceId: string): void {
    const dir = this.dir(instanceId);
    fs.rmSync(path.join(dir, 'shutdown'), { force: true });
    // A fresh /tmp: a new tmpfs where setDisk mounted one, else an empty directory.
    const tmpBytes = this.tmps.get(instanceId);
    if (tmpBytes !== undefined) {
      this.tmps.delete(instanceId);
      unmount(path.join(dir, 'tmp'));
    }
    for (const sub of ['run', 'tmp']) {
      fs.rmSync(path.join(dir, sub), { recursive: true, force: true });
      fs.mkdirSync(path.join(dir, sub), { recursive: true });
    }
    if (tmpBytes !== undefined) this.mountTmp(instanceId, tmpBytes);
  }

  /** A shutdown the instance asked for: the time (ms) it is due, if any. */
  shutdownDue(instanceId: string): number | undefined {
    let text: string;
    try {
      text = fs.readFileSync(path.join(this.dir(instanceId), 'shutdown'), 'utf8').trim();
    } catch {
      return undefined;
    }
    // Only a whole time is a request: an empty or partial file (Number('') is 0) must never end an instance at once.
    return /^[0-9]+$/.test(text) ? Number(text) * 1000 : undefined;
  }
}

function unmount(dir: string): void {
  try {
    execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
  } catch {}
}
