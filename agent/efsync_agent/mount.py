"""Mounting the file system, and the lock that lets one run at a time work on it."""
from __future__ import annotations

import errno
import fcntl
import os
import shutil
import socket
import stat
import subprocess
import time
import urllib.request

from .common import EXIT, Failure, utc
from .fs import NOFOLLOW, Dir, own_fd
from .log import log


# The mount is the agent's own:
# - The mount point /mnt/efsync/fs is inside /mnt/efsync, root's folder of mode 0700: no other user of the instance (a
#   borrowed one, `instance-id`) can reach the mount to read a release, or change one between its verification and
#   the switch ("search permission is required on each directory" of a path: path_resolution(7)).
# - Once mounted, the mount is remounted with nosymfollow, nosuid, nodev and noexec: the kernel follows no symbolic
#   link on it at all, even one a path of the agent's own should meet ("nosymfollow: Do not follow symlinks when
#   resolving paths", mount(8); Linux 5.10 and util-linux 2.36, where AL2023's kernel is 6.1), and nothing on it runs
#   as setuid or opens as a device. A bind remount changes only this mount's flags, whatever the file system
#   (mount(2), MS_REMOUNT | MS_BIND), and mount(8) keeps the flags it has (ro stays ro).
# - No private mount namespace (unshare --mount): the EFS mount helper's watchdog looks for each TLS mount it
#   supervises in /proc/mounts of its own namespace and, finding none, stops the mount's TLS tunnel after
#   unmount_grace_period_sec (aws/efs-utils, watchdog check_efs_mounts), which would hang the hard NFS mount in the
#   middle of a run. The 0700 folder keeps other users out instead.
# - Whatever the mount options (a kernel without nosymfollow, or --mounted), the agent's own file handling refuses
#   links and swapped folders (Dir, fs.py); where the remount fails the run goes on with that alone, and says so.
MOUNT_BASE = '/mnt/efsync'
MOUNTPOINT = MOUNT_BASE + '/fs'
HARDENING = 'nosymfollow,nosuid,nodev,noexec'
ST_NOSYMFOLLOW = 0x2000  # statvfs(3): f_flag of a mount with nosymfollow (Linux 5.10)

MOUNT_BUDGET = 30.0
# EFS User Guide, "Mounting on Amazon EC2 with a DNS name": the options AWS recommends for NFSv4.1.
NFS_OPTIONS = 'nfsvers=4.1,rsize=1048576,wsize=1048576,hard,timeo=600,retrans=2,noresvport'

# The instance metadata service. AWS_EC2_METADATA_SERVICE_ENDPOINT names another endpoint for it, as AWS SDKs and the
# CLI read it ("IMDS credential provider", ec2_metadata_service_endpoint, AWS SDKs and Tools Reference Guide): unset on
# an instance, where SSM Agent's command environment has no such variable; the test bed sets it (it cannot answer on
# the link-local address).
IMDS = os.environ.get('AWS_EC2_METADATA_SERVICE_ENDPOINT', 'http://169.254.169.254').rstrip('/') + '/latest/'


def own_zone():
    """The instance's availability zone from IMDSv2 (a session token, then placement/availability-zone; EC2 User
    Guide, "Use the Instance Metadata Service to access instance metadata"); None when it cannot be read."""
    try:
        put = urllib.request.Request(IMDS + 'api/token', method='PUT',
                                     headers={'X-aws-ec2-metadata-token-ttl-seconds': '60'})
        with urllib.request.urlopen(put, timeout=2) as answer:
            token = answer.read().decode()
        get = urllib.request.Request(IMDS + 'meta-data/placement/availability-zone',
                                     headers={'X-aws-ec2-metadata-token': token})
        with urllib.request.urlopen(get, timeout=2) as answer:
            return answer.read().decode().strip() or None
    except (OSError, ValueError):
        return None


def mount_target_ip(spec):
    """The mount target's IP in the instance's own zone: the launch may have moved to another zone than the first."""
    if not spec.mount_target_ips:
        return spec.mount_target_ip
    zone = own_zone()
    if zone in spec.mount_target_ips:
        return spec.mount_target_ips[zone]
    log('the instance\'s availability zone is %s: using the mount target IP of the first zone' % (zone or 'unknown'))
    return spec.mount_target_ip


def run_quiet(command, timeout):
    """Runs a command (an argument list, never a shell string); returns (ok, its output on one line)."""
    try:
        done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                              timeout=timeout)
        return done.returncode == 0, ' '.join(done.stdout.split()) or 'exit %d' % done.returncode
    except subprocess.TimeoutExpired:
        return False, 'no answer after %d s' % timeout
    except OSError as e:
        return False, str(e)


def mount(spec):
    """Mounts with the EFS mount helper and TLS (plus iam, an access point), by IP when the DNS name does not resolve;
    plain NFSv4.1 only where the spec allows it and the helper cannot be installed."""
    private_mount_point()
    by_ip = mount_target_ip(spec) if not resolves(spec.dns_name) else None
    if by_ip:
        # "Mounting with an IP address works in environments where DNS is disabled, such as VPCs with DNS hostnames
        # disabled" (EFS User Guide, mounting-fs-mount-cmd-ip-addr).
        log('%s does not resolve (DNS hostnames or DNS resolution is off in the VPC?): mounting by the mount '
            'target\'s IP address %s' % (spec.dns_name, by_ip))
    if have_mount_helper(spec):
        options = ','.join(['tls'] + (['iam'] if spec.iam else []) +
                           (['accesspoint=' + spec.access_point_id] if spec.access_point_id else []) +
                           (['mounttargetip=' + by_ip] if by_ip else []))
        command = ['mount', '-t', 'efs', '-o', options, spec.file_system_id + ':/', MOUNTPOINT]
        how = 'the EFS mount helper (%s)' % options
    else:
        ensure_nfs_client()
        command = ['mount', '-t', 'nfs4', '-o', NFS_OPTIONS, (by_ip or spec.dns_name) + ':/', MOUNTPOINT]
        how = 'plain NFSv4.1'
    log('mounting %s with %s: %s' % (spec.file_system_id, how, spec.reason))
    start, attempt, delay = time.monotonic(), 0, 2.0
    while True:
        attempt += 1
        # A blocked port 2049 makes mount hang rather than fail: bound each attempt by the time left.
        ok, why = run_quiet(command, max(MOUNT_BUDGET - (time.monotonic() - start), 10))
        if ok:
            log('mounted %s at %s with %s' % (spec.file_system_id, MOUNTPOINT, how))
            harden()
            return
        log('mount attempt %d of %s failed: %s' % (attempt, spec.file_system_id, why))
        # Right after a mount target is created its DNS name can take a while to resolve: retry for a while.
        if time.monotonic() - start + delay > MOUNT_BUDGET:
            raise Failure('cannot mount %s with %s after %d attempts: %s. Likely causes: the mount target\'s security '
                          'group does not allow inbound TCP 2049 (NFS) from this instance; the file system has no '
                          'mount target in the instance\'s Availability Zone; DNS hostnames or DNS resolution is off '
                          'in the VPC; the file system policy does not let the instance role mount '
                          '(elasticfilesystem:ClientMount)' % (spec.file_system_id, how, attempt, why),
                          EXIT['mountFailed'])
        time.sleep(delay)
        delay = min(delay * 2, 8.0)


def resolves(name):
    try:
        return bool(socket.getaddrinfo(name, 2049, proto=socket.IPPROTO_TCP))
    except (socket.gaierror, UnicodeError):
        return False


def have_command(name):
    return shutil.which(name, path=os.environ.get('PATH', '') + ':/usr/sbin:/sbin') is not None


def dnf_install(package):
    ok, out = run_quiet(['dnf', 'install', '-y', package], 600)
    return ok, 'dnf install -y %s failed: %s' % (package, out[-300:])


def have_mount_helper(spec):
    """Installs amazon-efs-utils when missing (Amazon Linux 2023 does not ship it); False: use plain NFSv4.1."""
    if have_command('mount.efs'):
        return True
    log('installing amazon-efs-utils (the EFS mount helper)')
    ok, why = dnf_install('amazon-efs-utils')
    if ok and have_command('mount.efs'):
        return True
    if not spec.plain_nfs_allowed:
        raise Failure('%s. This file system needs the EFS mount helper (TLS, IAM or an access point); the instance '
                      'must reach the Amazon Linux repositories, which are in S3' % why, EXIT['mountFailed'])
    log('%s: falling back to plain NFSv4.1, which this file system allows (no policy, no access point)' % why)
    return False


def ensure_nfs_client():
    if have_command('mount.nfs4'):
        return
    log('installing nfs-utils (mount.nfs4)')
    ok, why = dnf_install('nfs-utils')
    if not ok or not have_command('mount.nfs4'):
        raise Failure(why, EXIT['mountFailed'])


def umount(point=MOUNTPOINT):
    for command in (['umount', point], ['umount', '-l', point]):
        ok, out = run_quiet(command, 60)
        if ok:
            log('unmounted %s' % point)
            return
        log('%s: %s' % (' '.join(command), out))


def private_mount_point():
    """Makes MOUNT_BASE a folder of root's with mode 0700 (a link there fails the run) and the mount point in it."""
    for point in (MOUNTPOINT, MOUNT_BASE):  # an earlier run's mount; agents before this one mounted at MOUNT_BASE
        if os.path.ismount(point):
            log('%s is mounted already (an earlier run?): unmounting it first' % point)
            umount(point)
    try:
        os.mkdir(MOUNT_BASE, 0o700)
    except FileExistsError:
        pass
    base = Dir.open(MOUNT_BASE)
    try:
        os.fchown(base.fd, os.geteuid(), os.getegid())
        os.fchmod(base.fd, 0o700)
        base.sub(os.path.basename(MOUNTPOINT), create=True, mode=0o700).close()
    finally:
        base.close()


def harden():
    """Remounts the mount with HARDENING; says so when the kernel or mount(8) cannot, and goes on (see MOUNT_BASE)."""
    ok, why = run_quiet(['mount', '-o', 'remount,bind,' + HARDENING, MOUNTPOINT], 60)
    if ok and os.statvfs(MOUNTPOINT).f_flag & ST_NOSYMFOLLOW:
        log('remounted %s with %s: the kernel follows no symbolic link on it' % (MOUNTPOINT, HARDENING))
    else:
        log('could not remount %s with %s (%s; Linux 5.10 and util-linux 2.36 have it): the agent still opens nothing '
            'through a link' % (MOUNTPOINT, HARDENING, why if not ok else 'the kernel ignored nosymfollow'))


def take_lock(root, job):
    """An exclusive POSIX lock on <root>/.efsync.lock (lockf works over NFSv4); the file says who holds it. The lock
    file is opened without following a link (a planted one fails the run) and must be a regular file."""
    try:
        fd = os.open('.efsync.lock', os.O_RDWR | os.O_CREAT | NOFOLLOW | os.O_NONBLOCK, 0o644, dir_fd=root.fd)
        own_fd(fd)  # an instance mounting the place's access point opens it too, as the access point's user
    except OSError as e:
        if e.errno in (errno.ELOOP, errno.EISDIR, errno.ENXIO):
            raise root.not_ours('.efsync.lock', e, 'file')
        if e.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise
        # EFS User Guide, "Using IAM to control access to file systems": ClientMount alone is read-only access, and
        # without ClientRootAccess root is squashed.
        raise Failure('the file system refuses writes by root (%s): without elasticfilesystem:ClientWrite EFS gives '
                      'read-only access, and without ClientRootAccess it squashes root. Grant both to the instance '
                      'role on the file system (infra/efsync.yaml does)' % e.strerror, EXIT['error'])
    deadline, said = time.monotonic() + job.lock_timeout_seconds, 0.0
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_nlink != 1:  # a hard link would have the lock write another file
            raise root.not_ours('.efsync.lock', None, 'file')
        while True:
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                now = time.monotonic()
                holder = os.pread(fd, 4096, 0).decode('utf-8', 'replace').strip() or 'another run'
                if now >= deadline:
                    raise Failure('timed out after %ss waiting for the file system lock held by %s'
                                  % (job.lock_timeout_seconds, holder), EXIT['lockTimeout'])
                if now - said >= 10:
                    log('run %s waits for the file system lock held by %s' % (job.run_id, holder))
                    said = now
                time.sleep(min(2.0, max(deadline - now, 0.05)))
        me = 'run %s on %s (pid %d) since %s' % (job.run_id, socket.gethostname(), os.getpid(), utc())
        os.ftruncate(fd, 0)
        os.pwrite(fd, me.encode(), 0)
        log('took the file system lock')
        return fd
    except BaseException:
        os.close(fd)
        raise


def release_lock(fd):
    try:
        os.ftruncate(fd, 0)
        fcntl.lockf(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
    log('released the file system lock')
