#!/usr/bin/env bash
# Starts a Lambda execution environment of the test bed (lambda-env.ts): the caller runs this as root under
# `unshare -m` (and `-n` without a network). In the private mount namespace: the function's code at /var/task and the
# runtime interface at /var/runtime, both read-only; the interpreter at /var/lang (where Lambda keeps it) and at its own
# path (its libpython is found by an absolute path); /tmp a tmpfs of the function's ephemeral storage; each file system
# at its LocalMountPath; everything else read-only ("The execution environment ... the /tmp directory ... is the only
# writable location", Lambda execution environment, https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html).
# Then the runtime runs as the access point's POSIX user with no capabilities (but those of root over files, when it is
# root on its file system: ROOT below), its output (stdout and stderr, as Lambda sends both to the function's log) on stdout.
# Usage: lambda-enter.sh STATE TASK RUNTIME PYHOME PYVER TMP_MIB UID GID GROUPS MEMORY ROOT [SOURCE TARGET ro|rw]...
# (TASK, RUNTIME and each SOURCE under STATE; GROUPS comma-separated or -; MEMORY cgroup:<dir> or as:<KiB>; ROOT `root`
# when the access point's user is root on the file system: then uid 0 keeps the powers root has over files on an NFS
# server that does not squash it, CAP_CHOWN, CAP_DAC_OVERRIDE and CAP_FOWNER, and nothing else; else -)
set -euo pipefail
state=$1 task=$2 runtime=$3 pyhome=$4 pyver=$5 tmp_mib=$6 uid=$7 gid=$8 groups=$9 memory=${10} root=${11}
shift 11
# The environment is the function's: its PATH is for the function, the machine's tools are found here by this one.
function_path=$PATH
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
m=/usr/bin/mount
view=/run/efsync-lambda
$m --make-rprivate /
# Sources at a path nothing below hides (the state directory may be under /tmp, the interpreter under /root).
mkdir -p "$view"
$m -t tmpfs -o mode=0700,size=64k efsync-lambda-view "$view"
mkdir -p "$view/state" "$view/python"
$m --rbind "$state" "$view/state"
$m --bind "$pyhome" "$view/python"
seen() { printf '%s/state/%s' "$view" "${1#"$state"/}"; }
bind_ro() {
  $m --bind "$1" "$2"
  $m -o remount,bind,ro "$2"
}
case "$pyhome" in
  /root/*) $m -t tmpfs -o mode=0755,size=64k efsync-lambda-root /root ;;
esac
mkdir -p "$pyhome"
bind_ro "$view/python" "$pyhome"
$m -t tmpfs -o mode=0755,size=64k efsync-lambda-var /var
mkdir -p /var/task /var/runtime /var/lang
bind_ro "$(seen "$task")" /var/task
bind_ro "$(seen "$runtime")" /var/runtime
bind_ro "$view/python" /var/lang
$m -t tmpfs -o mode=0755,size=64k efsync-lambda-mnt /mnt
keep=(/tmp)
while [ $# -ge 3 ]; do
  mkdir -p "$2"
  $m --bind "$(seen "$1")" "$2"
  [ "$3" = ro ] && $m -o remount,bind,ro "$2"
  keep+=("$2")
  shift 3
done
$m -t tmpfs -o "size=${tmp_mib}m,mode=1777" efsync-lambda-tmp /tmp
umount -l "$view"
# Everything else read-only: each mount of this namespace but /tmp, the file systems, and the kernel's own (/proc,
# /sys, /dev, where device files stay writable); /dev/shm and /dev/mqueue too (Lambda has no /dev/shm to write).
awk '{ print $5 }' /proc/self/mountinfo | sort -u | while read -r target; do
  case "$target" in
    /proc | /proc/* | /sys | /sys/* | /dev | /dev/pts | /dev/pts/*) continue ;;
    *\\*) continue ;;
  esac
  for k in "${keep[@]}"; do [ "$target" = "$k" ] && continue 2; done
  # A mount hidden under one this namespace put on top (the machine's /tmp, /root or /mnt) has no path here.
  [ -e "$target" ] || continue
  $m -o remount,bind,ro "$target" 2>/dev/null || echo "lambda-enter: could not make $target read-only" >&2
done
# The function's memory (MemorySize): a memory cgroup where the machine has one, else a bound on address space.
case "$memory" in
  cgroup:*) echo $$ >"${memory#cgroup:}/cgroup.procs" ;;
  as:*) ulimit -v "${memory#as:}" ;;
esac
group_args=(--clear-groups)
[ "$groups" != - ] && group_args=(--groups "$groups")
cd /var/task
export PATH=$function_path
exec 2>&1
caps=-all
[ "$root" = root ] && caps=-all,+chown,+dac_override,+fowner
exec /usr/bin/setpriv --reuid="$uid" --regid="$gid" "${group_args[@]}" --inh-caps=-all --bounding-set="$caps" \
  --no-new-privs -- "/var/lang/bin/python$pyver" /var/runtime/bootstrap.py
