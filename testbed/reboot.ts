// A reboot of a test bed instance (RebootInstances, or the control endpoint's reboot fault), as EC2 and the OS do it:
//
// - "Rebooting an instance is equivalent to rebooting an operating system ... the instance keeps its public DNS name,
//   its private and public IPv4 address ... and any data on its instance store volumes" ("Reboot your Amazon EC2
//   instance", Amazon EC2 User Guide, https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-instance-reboot.html):
//   the root volume stays, so the sandbox's /var and /etc are kept.
// - Runtime state is not: every process ends (the scripts of running commands are killed, and SSM never hears back
//   from them: ssm.ts, instanceGone), a pending shutdown is forgotten (systemd-logind keeps it under /run/systemd, a
//   tmpfs; shutdown(8), file-hierarchy(7)), and /run and /tmp start empty ("by default /tmp is now tmpfs rather than a
//   path on the root file system", AL2023 User Guide, https://docs.aws.amazon.com/linux/al2023/ug/filesystem-slash-tmp.html;
//   /run: https://docs.aws.amazon.com/linux/al2023/ug/filesystem-slash-run.html).
// - SSM Agent stops sending heartbeats while the instance is down: DescribeInstanceInformation shows it with PingStatus
//   ConnectionLost (PingStatus in botocore's ssm service-2.json: Online, ConnectionLost), and a SendCommand to it fails
//   with InvalidInstanceId, as for any instance that is not Online. Once the agent runs again it is Online.
// - At boot systemd starts the units enabled for multi-user.target (their symlinks in
//   /etc/systemd/system/multi-user.target.wants/, made by `systemctl enable` from the unit's [Install] WantedBy=;
//   systemctl(1), systemd.unit(5)); the bed runs each one's ExecStart= in the sandbox before the instance is Online.
//   cloud-init's user data scripts run on the first boot only ("By default, UserData is run only once during the first
//   instance launch", https://aws.amazon.com/premiumsupport/knowledge-center/execute-user-data-ec2/): a reboot does not
//   run them again.
import fs from 'node:fs';
import path from 'node:path';
import type { Faults } from './faults.ts';
import type { Sandboxes } from './sandbox.ts';
import type { RunCommand } from './ssm.ts';

/** How long the instance is down: no AWS figure; long enough that a client sees it ConnectionLost. */
export const REBOOT_DOWN_MS = 2000;

export interface RebootDeps {
  faults: Faults;
  sandboxes: Sandboxes;
  ssm: RunCommand;
  /** Whether the bed still runs the instance (a terminated one is not rebooted: "Requests to reboot terminated
   * instances are ignored", RebootInstances in botocore's ec2 service-2.json). */
  isRunning(id: string): boolean;
}

/** The ExecStart= commands of the units enabled for multi-user.target in a sandbox, as argument lists. */
export function enabledUnits(sandbox: string): { unit: string; argv: string[] }[] {
  const system = path.join(sandbox, 'etc/systemd/system');
  const wants = path.join(system, 'multi-user.target.wants');
  if (!fs.existsSync(wants)) return [];
  return fs
    .readdirSync(wants)
    .sort()
    .flatMap((unit) => {
      const file = path.join(system, unit);
      if (!fs.existsSync(file)) return [];
      return fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => line.startsWith('ExecStart='))
        .map((line) => {
          // systemd splits ExecStart= on whitespace, with quoting, and expands $VAR and %-specifiers (systemd.service(5)
          // "Command lines"); the bed takes plain words only and refuses anything it would not run as systemd does.
          const words = line.slice('ExecStart='.length).trim().split(/\s+/);
          if (words.some((w) => /["'\\$%;]/.test(w)) || !words[0]?.startsWith('/'))
            throw new Error(`test bed: ${unit} has an ExecStart= the bed does not emulate: ${line}`);
          return { unit, argv: words };
        });
    });
}

/** Reboots one instance: down (ConnectionLost, runtime state gone), then boots its enabled units and is Online. */
export async function reboot(id: string, deps: RebootDeps): Promise<void> {
  const { faults, sandboxes, ssm } = deps;
  if (!deps.isRunning(id)) return;
  faults.rebooting.add(id);
  try {
    ssm.instanceGone(id);
    sandboxes.clearRuntime(id);
    await new Promise((resolve) => setTimeout(resolve, REBOOT_DOWN_MS));
    if (!deps.isRunning(id)) return;
    for (const { unit, argv } of enabledUnits(sandboxes.dir(id))) {
      const quoted = argv.map((w) => `'${w}'`).join(' ');
      const proc = sandboxes.run(id, `run/efsync-testbed-boot/${unit}.sh`, `exec ${quoted}\n`, undefined);
      const out = fs.createWriteStream(path.join(sandboxes.dir(id), `boot-${unit}.log`), { flags: 'a' });
      proc.child.stdout?.pipe(out);
      proc.child.stderr?.pipe(out);
      await proc.done;
    }
  } finally {
    faults.rebooting.delete(id);
  }
}
