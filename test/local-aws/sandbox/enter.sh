#!/usr/bin/env bash
# Runs a script as an EC2 instance of the test bed would: as root, in a private mount namespace (the caller
# starts this under `unshare -m`) where /mnt is the instance's own, so EFS mounts land in its sandbox.
# Usage: enter.sh SANDBOX WORKDIR SCRIPT
set -euo pipefail
sandbox=$1 workdir=$2 script=$3
mkdir -p "$sandbox/mnt" "$sandbox/tmp" "$sandbox/root"
mount --make-rprivate / 2>/dev/null || true
/usr/bin/mount --bind "$sandbox/mnt" /mnt
# /var/lib/efsync is the instance's own and lasts from command to command, as its root volume does: the time of its
# dead-man switch and the lock runs on one instance take turns with (src/aws/remote.ts, Staying).
mkdir -p "$sandbox/var/lib/efsync" /var/lib/efsync
/usr/bin/mount --bind "$sandbox/var/lib/efsync" /var/lib/efsync
# The instance's own systemd units (/etc on its root volume: they last across reboots, and the test bed starts the
# enabled ones at boot, test/local-aws/reboot.ts); `systemctl enable` is the shim's.
mkdir -p "$sandbox/etc/systemd/system" /etc/systemd/system
/usr/bin/mount --bind "$sandbox/etc/systemd/system" /etc/systemd/system
# The instance's own name resolution (Sandboxes.prepareInstance), when the test bed prepared it.
for file in hosts resolv.conf; do
  if [ -f "$sandbox/etc/$file" ]; then /usr/bin/mount --bind "$sandbox/etc/$file" "/etc/$file"; fi
done
# The instance's disk: scratch space (TMPDIR, where the agent keeps staged parts) holds no more than its root volume
# has room for. A tmpfs in this namespace: it is gone when the script ends.
if [ -n "${EFSYNC_TESTBED_SCRATCH_BYTES:-}" ]; then
  /usr/bin/mount -t tmpfs -o "size=${EFSYNC_TESTBED_SCRATCH_BYTES},mode=1777" efsync-scratch "$sandbox/tmp"
fi
cd "$workdir"
exec bash "$script"
