#!/usr/bin/env bash
# Runs a script as an EC2 instance of the test bed would: as root, in a private mount namespace (the caller starts this
# under `unshare -m`) where /mnt, /tmp and /var/tmp are the instance's own, so that EFS mounts land in its sandbox and
# what one command leaves in /tmp or /var/tmp the next command on that instance finds, as on AWS.
# Usage: enter.sh STATE SANDBOX WORKDIR SCRIPT (STATE: the test bed's state directory; the others as seen from inside,
# under BED_VIEW of sandbox.ts)
set -euo pipefail
state=$1 sandbox=$2 workdir=$3 script=$4
view=/run/efsync-testbed
mount --make-rprivate / 2>/dev/null || true
# The test bed's files at a path that no directory bound below hides (a state directory under /tmp would vanish behind
# the instance's /tmp). With its submounts: an instance's root volume is a tmpfs (Sandboxes.setDisk).
mkdir -p "$view"
/usr/bin/mount --rbind "$state" "$view"
mkdir -p "$sandbox/mnt" "$sandbox/tmp" "$sandbox/var/tmp" "$sandbox/var/lib/efsync"
/usr/bin/mount --bind "$sandbox/mnt" /mnt
# /tmp and /var/tmp: the instance's own, kept from command to command (systemd-tmpfiles cleans them at boot and by age,
# AL2023 User Guide, "/tmp (small temporary files)"; a reboot is the test bed's to emulate). On AL2023 /tmp is a tmpfs
# of half the RAM (same page), which the test bed does not bound; /var/tmp is on the root volume, which it does
# (Sandboxes.setDisk), so the disk-full faults are the root volume filling up, where the agent keeps staged parts.
chmod 1777 "$sandbox/tmp" "$sandbox/var/tmp"
/usr/bin/mount --bind "$sandbox/tmp" /tmp
/usr/bin/mount --bind "$sandbox/var/tmp" /var/tmp
# /var/lib/efsync is the instance's own and lasts from command to command, as its root volume does: the time of its
# dead-man switch and the lock runs on one instance take turns with (src/remote/instance/ssm.ts, Staying).
mkdir -p /var/lib/efsync
/usr/bin/mount --bind "$sandbox/var/lib/efsync" /var/lib/efsync
# The instance's own systemd units (/etc on its root volume: they last across reboots, and the test bed starts the
# enabled ones at boot, testbed/reboot.ts); `systemctl enable` is the shim's.
mkdir -p "$sandbox/etc/systemd/system" /etc/systemd/system
/usr/bin/mount --bind "$sandbox/etc/systemd/system" /etc/systemd/system
# The instance's own name resolution (Sandboxes.prepareInstance), when the test bed prepared it.
for file in hosts resolv.conf; do
  if [ -f "$sandbox/etc/$file" ]; then /usr/bin/mount --bind "$sandbox/etc/$file" "/etc/$file"; fi
done
cd "$workdir"
exec bash "$script"
