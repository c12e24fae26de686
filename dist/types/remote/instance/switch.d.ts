/**
 * The dead-man switch on an instance efsync launched: the instance powers off (and so terminates:
 * InstanceInitiatedShutdownBehavior=terminate) when no run needs it any more, whatever happens to the runner.
 *
 * What the instance keeps in /var/lib/efsync (on the root volume, so it survives a reboot):
 * - `leases/<name>`: each run's deadline (epoch seconds), written when its command starts and removed when it ends;
 *   `leases/launch` is the launching run's deadline, written by the user data and removed by the first success.
 * - `warm-until`: when a successful `keep-warm` run left it warm until (epoch seconds); never moved earlier.
 * - `shutdown-at`: when the switch fires: the latest of every lease still ahead and warm-until plus a minute, at
 *   least a minute from now (so that SSM hears a command's end before the power goes).
 *
 * Concurrent runs on one instance never shorten each other (each one's lease counts until it ends), and once the last
 * run has ended the switch is back at warm-until plus a minute, as the README promises.
 *
 * `shutdown -P +N` lives in systemd's runtime state (logind keeps a scheduled shutdown under /run/systemd, a tmpfs
 * emptied at every boot; shutdown(8), file-hierarchy(7)), so a reboot forgets it. The user data installs a unit,
 * enabled for multi-user.target, that arms it again from `shutdown-at` at every boot; the user data itself runs on the
 * first boot only (cloud-init's scripts-user module runs once per instance; "By default, UserData is run only once
 * during the first instance launch", https://aws.amazon.com/premiumsupport/knowledge-center/execute-user-data-ec2/, as
 * the AWS CDK's UserData documentation quotes it).
 *
 * No value is interpolated into these lines but whole numbers checked by the callers, and the unit has none at all.
 */
export declare const EFSYNC_DIR = "/var/lib/efsync";
/** When the switch fires, epoch seconds: what the boot unit reads. */
export declare const SWITCH_FILE = "/var/lib/efsync/shutdown-at";
export declare const LEASES_DIR = "/var/lib/efsync/leases";
export declare const WARM_FILE = "/var/lib/efsync/warm-until";
/** The script the boot unit runs: on the root volume, beside the state it reads. */
export declare const BOOT_SCRIPT = "/var/lib/efsync/arm-at-boot";
export declare const UNIT_NAME = "efsync-switch.service";
/**
 * Defines efsync_arm (arms the switch from the leases and warm-until, dropping leases whose time has passed) and
 * efsync_warm SECONDS (records warm-until, never earlier than it was, and drops the launch lease). One run at a time
 * computes the switch (flock on arm.lock), so two commands ending together cannot leave the earlier answer in force.
 */
export declare const ARM_FUNCTIONS: string[];
/**
 * The user data: arms the switch at the run's deadline at once (before anything that could fail), records it as the
 * launch lease and in SWITCH_FILE, and installs the boot unit. `minutes` is a whole number.
 */
export declare function userData(minutes: number): string;
