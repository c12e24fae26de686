#!/usr/bin/env python3
"""efsync agent: carries out one job (JobManifest, src/sync/model.ts) on an EFS file system.

Runs on the short-lived Amazon Linux 2023 instance under SSM Run Command, as root, with the system python3
(3.9) and nothing but the standard library. Usage: python3 efsync_agent.py JOB.json [--mounted DIR]

Layout per target `<parent>/<name>` (see DESIGN.md, "Layout on EFS: atomic releases"):
  <parent>/<name>                       relative symlink -> .<name>.efsync/<release-id>
  <parent>/.<name>.efsync/<id>/         one complete release; exactly what the source holds
  <parent>/.<name>.efsync/<id>.json     its tree (files, dirs)
  <parent>/.<name>.efsync/history.json  release ids in publish order, oldest first
The last line of output is `EFSYNC_RESULT <AgentResult JSON>`; the exit code is one of EXIT below.
"""
import concurrent.futures as cf
import datetime
import fcntl
import hashlib
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.error
import urllib.request

EXIT = {'ok': 0, 'error': 1, 'baseMismatch': 3, 'lockTimeout': 4, 'mountFailed': 5, 'downloadFailed': 6}
MOUNTPOINT = '/mnt/efsync'
LOCK_FILE = '.efsync.lock'
CHUNK = 1 << 20
ATTEMPTS = 5
MOUNT_BUDGET = 30.0
RELEASE_ID = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$')
URL = re.compile(r'[A-Za-z][A-Za-z0-9+.-]*://\S+')
# The secret parts of a presigned URL, should an error text quote a URL without its scheme.
SIGNED = re.compile(r'((?:X-Amz-)?(?:Signature|Credential|Security-Token)|AWSAccessKeyId)=[^&\s\'"]+', re.I)
MD5_HEX = re.compile(r'^[0-9a-f]{32}$')
# Set on SIGTERM/SIGINT or on the first failure of a build, so that download and copy threads stop early.
STOP = threading.Event()


class Failure(Exception):
    """An expected failure: its message is the one-line error of the result."""

    def __init__(self, message, code=EXIT['error']):
        super().__init__(message)
        self.code = code


class Interrupted(BaseException):
    """Raised in the main thread by SIGTERM/SIGINT; a BaseException so that no retry loop swallows it."""


class Retry(Exception):
    """A transfer problem worth another attempt."""


def q(text):
    """Quotes a path for a log line: odd names (newlines, quotes) stay on one line and unambiguous."""
    return json.dumps(text, ensure_ascii=False)


def human(n):
    for unit in ('B', 'KiB', 'MiB', 'GiB'):
        if abs(n) < 1024 or unit == 'GiB':
            return ('%d %s' if unit == 'B' else '%.1f %s') % (n, unit)
        n /= 1024.0


class Log:
    """Timestamped lines to stdout, flushed at once (SSM shows output as it comes), and kept for the log upload."""

    def __init__(self):
        self.lines = []
        self.lock = threading.Lock()

    def __call__(self, message):
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
        self.raw('%s %s' % (stamp, message))

    def raw(self, line):
        # Presigned URLs are secrets: whatever a message holds (an exception text, say), no URL gets through.
        line = SIGNED.sub(r'\1=***', URL.sub('<url>', line))
        with self.lock:
            self.lines.append(line)
            print(line, flush=True)


log = Log()


class Progress:
    """Bytes transferred for one target; logs at most every 5 s, so only big transfers say anything."""

    def __init__(self, total):
        self.total, self.done = total, 0
        self.start = self.last = time.monotonic()
        self.lock = threading.Lock()

    def add(self, n):
        with self.lock:
            self.done += n
            now = time.monotonic()
            if now - self.last < 5:
                return
            self.last, done = now, self.done
        rate = done / max(now - self.start, 0.001)
        eta = (self.total - done) / rate if rate > 0 else 0
        log('progress: %s of %s, %s/s, about %d s left' % (human(done), human(self.total), human(rate), eta))


# ---------------------------------------------------------------------------------------------------------------
# The job: checked completely before anything is written, so a bad target never leaves earlier ones half done.


def rel_parts(path, what):
    """The parts of a relative POSIX path; refuses absolute paths, '.', '..' and empty parts."""
    if not isinstance(path, str) or not path or path.startswith('/') or '\0' in path:
        raise Failure('refusing %s path %s: not a relative path' % (what, q(path)))
    parts = path.split('/')
    if any(p in ('', '.', '..') for p in parts):
        raise Failure('refusing %s path %s: empty, "." or ".." part' % (what, q(path)))
    return parts


def check_id(value, what):
    if not isinstance(value, str) or not RELEASE_ID.match(value) or value == 'history':
        raise Failure('invalid %s %s' % (what, q(value)))
    return value


def check_url(url, what):
    # Presigned S3 URLs only: urllib would also open file:// and others.
    if not isinstance(url, str) or not re.match(r'^https?://', url):
        raise Failure('%s has no http(s) URL' % what)


def check_int(value, what, low=0):
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise Failure('invalid %s in the job: %s' % (what, q(value)))
    return value


def load_job(path):
    try:
        with open(path, encoding='utf-8') as f:
            job = json.load(f)
    except (OSError, ValueError) as e:
        raise Failure('cannot read the job manifest %s: %s' % (q(path), e))
    if not isinstance(job, dict) or job.get('version') != 1:
        raise Failure('the job manifest is not version 1')
    mount = job.get('mount') or {}
    if mount.get('type') not in ('nfs4', 'efs'):
        raise Failure('invalid mount type %s' % q(mount.get('type')))
    for key in ('source', 'options'):
        # These become arguments of mount(8): never let one pass for an option.
        if not isinstance(mount.get(key, ''), str) or str(mount.get(key, '')).startswith('-'):
            raise Failure('invalid mount %s %s' % (key, q(mount.get(key))))
    if not mount.get('source'):
        raise Failure('the job has no mount source')
    if not isinstance(job.get('lockTimeoutSeconds'), (int, float)) or job['lockTimeoutSeconds'] < 0:
        raise Failure('invalid lockTimeoutSeconds')
    check_int(job.get('keepReleases'), 'keepReleases', 1)
    check_int(job.get('concurrency'), 'concurrency', 1)
    parts = {}
    for part in job.get('parts') or []:
        if not isinstance(part.get('name'), str) or not isinstance(part.get('url'), str) or part['name'] in parts:
            raise Failure('invalid or duplicate staged part %s' % q(part.get('name')))
        check_int(part.get('size'), 'part size')
        if not isinstance(part.get('sha256'), str):
            raise Failure('staged part %s has no sha256' % q(part['name']))
        check_url(part['url'], 'part ' + q(part['name']))
        parts[part['name']] = part
    seen = set()
    for t in job.get('targets') or []:
        check_target(t, parts, seen)
    if not job.get('targets'):
        raise Failure('the job has no targets')
    return job


def check_target(t, parts, seen):
    name = t.get('target')
    rel_parts(name, 'target')
    if name in seen or any(name.startswith(s + '/') or s.startswith(name + '/') for s in seen):
        raise Failure('target %s is listed twice or nested in another target of the job' % q(name))
    seen.add(name)
    if t.get('action') not in ('sync', 'rollback'):
        raise Failure('target %s: invalid action %s' % (q(name), q(t.get('action'))))
    if t['action'] == 'rollback':
        return
    check_id(t.get('releaseId'), 'release id')
    if t.get('baseReleaseId') is not None:
        check_id(t['baseReleaseId'], 'base release id')
    dirs = set()
    for d in t.get('dirs') or []:
        rel_parts(d.get('path'), 'directory')
        check_int(d.get('mode'), 'directory mode')
        dirs.add(d['path'])
    paths = set()
    for f in t.get('files') or []:
        path = f.get('path')
        rel_parts(path, 'file')
        if path in paths or path in dirs:
            raise Failure('target %s: file %s is listed twice or also as a directory' % (q(name), q(path)))
        paths.add(path)
        check_int(f.get('size'), 'file size')
        check_int(f.get('mode'), 'file mode')
        src = f.get('source') or {}
        kind = src.get('from')
        if kind == 'base' and t.get('baseReleaseId') is None:
            raise Failure('target %s: file %s comes from the base release but there is none' % (q(name), q(path)))
        if kind == 'part' and (src.get('part') not in parts or not isinstance(src.get('member'), str)):
            raise Failure('target %s: file %s names an unknown part %s' % (q(name), q(path), q(src.get('part'))))
        if kind == 'url':
            check_url(src.get('url'), 'file %s of target %s' % (q(path), q(name)))
        if kind not in ('base', 'part', 'url'):
            raise Failure('target %s: file %s has an invalid source' % (q(name), q(path)))


# ---------------------------------------------------------------------------------------------------------------
# Mount and lock.


def mount(spec):
    typ, source, options = spec['type'], spec['source'], spec.get('options') or ''
    ap = spec.get('accessPointId')
    if ap and 'accesspoint=' not in options:
        # An access point needs the mount helper with TLS.
        extra = ([] if 'tls' in options.split(',') else ['tls']) + ['accesspoint=' + ap]
        options = ','.join([o for o in [options] if o] + extra)
    os.makedirs(MOUNTPOINT, exist_ok=True)
    if os.path.ismount(MOUNTPOINT):
        log('%s is mounted already (a previous run?): unmounting it first' % MOUNTPOINT)
        umount()
    if typ == 'efs' and not os.path.exists('/sbin/mount.efs'):
        log('installing amazon-efs-utils (the EFS mount helper)')
        done = subprocess.run(['dnf', 'install', '-y', 'amazon-efs-utils'], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, universal_newlines=True)
        if done.returncode != 0:
            tail = done.stdout.strip().splitlines()[-1:] or ['']
            raise Failure('dnf install amazon-efs-utils failed: %s' % tail[0], EXIT['mountFailed'])
    command = ['mount', '-t', typ] + (['-o', options] if options else []) + [source, MOUNTPOINT]
    start, attempt, delay = time.monotonic(), 0, 2.0
    while True:
        attempt += 1
        left = MOUNT_BUDGET - (time.monotonic() - start)
        try:
            # A blocked port 2049 makes mount hang rather than fail: bound each attempt by what is left.
            done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  universal_newlines=True, timeout=max(left, 10))
            ok, why = done.returncode == 0, ' '.join(done.stdout.split()) or 'exit %d' % done.returncode
        except subprocess.TimeoutExpired:
            ok, why = False, 'no answer from the server (timed out)'
        if ok:
            log('mounted %s (%s) at %s' % (source, typ, MOUNTPOINT))
            return
        log('mount attempt %d of %s failed: %s' % (attempt, source, why))
        # EFS DNS names can take a while to resolve right after a mount target is created: retry for a while.
        if time.monotonic() - start + delay > MOUNT_BUDGET:
            raise Failure(
                'cannot mount %s (%s) after %d attempts: %s. Likely causes: the mount target\'s security group does '
                'not allow inbound TCP 2049 (NFS) from this instance; the file system has no mount target in the '
                'instance\'s Availability Zone; DNS hostnames or DNS resolution is off in the VPC'
                % (source, typ, attempt, why), EXIT['mountFailed'])
        time.sleep(delay)
        delay = min(delay * 2, 8.0)


def umount():
    for command in (['umount', MOUNTPOINT], ['umount', '-l', MOUNTPOINT]):
        try:
            if subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60).returncode == 0:
                log('unmounted %s' % MOUNTPOINT)
                return
        except (OSError, subprocess.TimeoutExpired) as e:
            log('%s: %s' % (' '.join(command), e))
    log('could not unmount %s' % MOUNTPOINT)


def take_lock(root, job):
    """An exclusive POSIX lock on <root>/.efsync.lock (lockf works over NFSv4); the file says who holds it."""
    fd = os.open(os.path.join(root, LOCK_FILE), os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + job['lockTimeoutSeconds']
    said = 0.0
    try:
        while True:
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                now = time.monotonic()
                holder = os.pread(fd, 4096, 0).decode('utf-8', 'replace').strip() or 'unknown'
                if now >= deadline:
                    raise Failure('timed out after %ss waiting for the file system lock held by %s'
                                  % (job['lockTimeoutSeconds'], holder), EXIT['lockTimeout'])
                if now - said >= 10:
                    log('run %s waits for the file system lock held by %s' % (job.get('runId'), holder))
                    said = now
                time.sleep(min(2.0, max(deadline - now, 0.05)))
        me = {'runId': job.get('runId'), 'host': socket.gethostname(), 'pid': os.getpid(),
              'since': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(me).encode(), 0)
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


# ---------------------------------------------------------------------------------------------------------------
# Files: every write goes to a new temp file, is verified, then renamed; nothing is written through a hard link.


def rmtree(path):
    def unlock(func, p, _exc):
        # A release may hold a directory without write permission (mode from the source); let us in.
        os.chmod(os.path.dirname(p), 0o700)
        func(p)

    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, onerror=unlock)
    elif os.path.lexists(path):
        os.unlink(path)


def write_json(path, data):
    tmp = os.path.join(os.path.dirname(path), '.tmp-' + os.path.basename(path))
    with open(tmp, 'w', encoding='utf-8') as f:
        json.dump(data, f, indent=1)
    os.replace(tmp, path)


class Sink:
    """The temp file of one new file: counts and hashes what is written; reset() starts over for a retry."""

    def __init__(self, f):
        self.f = f
        self.reset()

    def reset(self):
        self.f.seek(0)
        self.f.truncate()
        self.size, self.sha256, self.md5 = 0, hashlib.sha256(), hashlib.md5(usedforsecurity=False)

    def write(self, chunk):
        if STOP.is_set():
            raise Failure('stopped')
        self.f.write(chunk)
        self.size += len(chunk)
        self.sha256.update(chunk)
        self.md5.update(chunk)


def copy(reader, sink, length=None):
    while length is None or length > 0:
        chunk = reader.read(CHUNK if length is None else min(CHUNK, length))
        if not chunk:
            break
        sink.write(chunk)
        if length is not None:
            length -= len(chunk)


def download(url, name, sink, size, progress=None):
    """GET url into sink, with retries and backoff; name (never the URL, a secret) is what the log shows."""
    for attempt in range(1, ATTEMPTS + 1):
        sink.reset()
        counted = 0
        try:
            with urllib.request.urlopen(url, timeout=60) as response:
                length = response.headers.get('Content-Length')
                if length is not None and length.isdigit() and int(length) != size:
                    raise Failure('%s is %s bytes, the plan says %d: it changed since the plan was made'
                                  % (name, length, size), EXIT['downloadFailed'])
                while True:
                    chunk = response.read1(CHUNK)  # what has arrived: a stop is seen between chunks
                    if not chunk:
                        break
                    sink.write(chunk)
                    counted += len(chunk)
                    if progress:
                        progress.add(len(chunk))
            if sink.size != size:
                raise Retry('got %d bytes, expected %d' % (sink.size, size))
            return
        except (ValueError, http.client.InvalidURL) as e:
            raise Failure('cannot download %s: invalid URL (%s)' % (name, e), EXIT['downloadFailed'])
        except urllib.error.HTTPError as e:
            why = 'HTTP %d %s' % (e.code, e.reason)
            if e.code < 500 and e.code not in (408, 429):
                hint = ' (the presigned URL expired, or the object changed)' if e.code in (403, 404) else ''
                raise Failure('cannot download %s: %s%s' % (name, why, hint), EXIT['downloadFailed'])
        except (Retry, urllib.error.URLError, http.client.HTTPException, OSError) as e:
            why = str(getattr(e, 'reason', None) or e) or type(e).__name__
        if progress:
            progress.add(-counted)
        if attempt == ATTEMPTS or STOP.is_set():
            raise Failure('cannot download %s after %d attempts: %s' % (name, attempt, why), EXIT['downloadFailed'])
        log('download of %s failed (%s); retrying' % (name, why))
        if STOP.wait(0.5 * 2 ** (attempt - 1) + random.uniform(0, 0.25)):
            raise Failure('stopped')


class Release:
    """A release directory being built: resolves paths inside it, and refuses any that would leave it."""

    def __init__(self, root):
        self.root = root
        self.real = os.path.realpath(root)
        self.checked = {}

    def path(self, rel, what='file'):
        parts = rel_parts(rel, what)
        folder = os.path.join(self.root, *parts[:-1])
        if folder not in self.checked:
            # Defence in depth: the parent must resolve to the very directory named, so no symlink can redirect
            # a write (or a hard-link source) outside the release.
            self.checked[folder] = os.path.realpath(folder) == os.path.join(self.real, *parts[:-1])
        if not self.checked[folder]:
            raise Failure('refusing %s path %s: it resolves outside the release' % (what, q(rel)))
        return os.path.join(folder, parts[-1])


def write_file(release, entry, fill, origin, code):
    """Writes one file of the new release from fill(sink), verifies it, sets its mode, renames it into place."""
    dest = release.path(entry['path'])
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    tmp = os.path.join(os.path.dirname(dest), '.efsync-tmp-%s' % os.urandom(8).hex())
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, 'wb') as f:
            sink = Sink(f)
            fill(sink)
        problem = None
        if sink.size != entry['size']:
            problem = 'size %d, expected %d' % (sink.size, entry['size'])
        elif entry.get('sha256') and sink.sha256.hexdigest() != entry['sha256'].lower():
            problem = 'sha256 %s, expected %s' % (sink.sha256.hexdigest(), entry['sha256'])
        elif MD5_HEX.match((entry.get('etag') or '').lower()) and sink.md5.hexdigest() != entry['etag'].lower():
            problem = 'MD5 %s, expected the ETag %s' % (sink.md5.hexdigest(), entry['etag'])
        if problem:
            raise Failure('file %s from %s does not verify: %s' % (q(entry['path']), origin, problem), code)
        os.chmod(tmp, entry['mode'] & 0o777)
        os.rename(tmp, dest)
    except BaseException:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        raise
    return 1, sink.size


class Part:
    """A staged part, downloaded once to a local temp file and verified; members are read from it by offset."""

    def __init__(self, spec, workdir, progress):
        self.name = spec['name']
        self.path = os.path.join(workdir, 'part-%s' % os.urandom(6).hex())
        started = time.monotonic()
        with open(self.path, 'wb') as f:
            sink = Sink(f)
            download(spec['url'], 'part ' + q(self.name), sink, spec['size'], progress)
        if sink.sha256.hexdigest() != spec['sha256'].lower():
            raise Failure('part %s is corrupt: sha256 %s, expected %s'
                          % (q(self.name), sink.sha256.hexdigest(), spec['sha256']), EXIT['downloadFailed'])
        log('downloaded part %s (%s) in %.1f s' % (q(self.name), human(spec['size']), time.monotonic() - started))
        try:
            # An uncompressed tar can be read by many threads at once, each at a member's offset; a compressed
            # one only in order. Member names are only looked up, never used as paths; owners are ignored.
            try:
                self.tar, self.plain = tarfile.open(self.path, 'r:', encoding='utf-8'), True
            except tarfile.ReadError:
                self.tar, self.plain = tarfile.open(self.path, 'r:*', encoding='utf-8'), False
            self.members = {m.name: m for m in self.tar.getmembers()}
        except (tarfile.TarError, OSError, EOFError) as e:
            raise Failure('part %s is not a readable tar: %s' % (q(self.name), e), EXIT['downloadFailed'])

    def member(self, entry):
        info = self.members.get(entry['source']['member'])
        if info is None or not info.isreg() or info.sparse is not None:
            raise Failure('part %s has no regular file member %s (for %s)'
                          % (q(self.name), q(entry['source']['member']), q(entry['path'])), EXIT['downloadFailed'])
        return info

    def tasks(self, release, entries):
        """Callables that write the given files; one per file for a plain tar, one in all for a compressed one."""
        origin = 'part ' + q(self.name)
        if self.plain:
            def one(entry, info):
                def fill(sink):
                    with open(self.path, 'rb') as f:
                        f.seek(info.offset_data)
                        copy(f, sink, info.size)
                return lambda: write_file(release, entry, fill, origin, EXIT['downloadFailed'])
            return [one(e, self.member(e)) for e in entries]

        def all_in_order():
            files = written = 0
            for info, entry in sorted(((self.member(e), e) for e in entries), key=lambda p: p[0].offset):
                n, size = write_file(release, entry, lambda s: copy(self.tar.extractfile(info), s), origin,
                                     EXIT['downloadFailed'])
                files, written = files + n, written + size
            return files, written
        return [all_in_order]

    def close(self):
        self.tar.close()
        os.unlink(self.path)


# ---------------------------------------------------------------------------------------------------------------
# Targets.


class Target:
    def __init__(self, root, name):
        parts = rel_parts(name, 'target')
        self.name = parts[-1]
        self.parent = os.path.join(root, *parts[:-1])
        self.real_parent = os.path.join(os.path.realpath(root), *parts[:-1])
        self.link = os.path.join(self.parent, self.name)
        self.reldir = '.%s.efsync' % self.name
        self.releases = os.path.join(self.parent, self.reldir)

    def check_parent(self):
        # The parent must not pass through a symlink: that would put this target inside another one's release.
        if os.path.realpath(self.parent) != self.real_parent:
            raise Failure('target %s: its parent resolves through a symlink (inside another target?)'
                          % q(self.link))

    def current(self):
        """(release id or None, 'release' | 'dir' | None) of what the target path is now."""
        self.check_parent()
        if os.path.islink(self.link):
            text = os.readlink(self.link).rstrip('/')
            rid = text[len(self.reldir) + 1:] if text.startswith(self.reldir + '/') else ''
            if not RELEASE_ID.match(rid) or '/' in rid:
                raise Failure('target %s is a symlink to %s, not an efsync release; move it away'
                              % (q(self.link), q(text)))
            return rid, 'release'
        if os.path.isdir(self.link):
            return None, 'dir'
        if os.path.lexists(self.link):
            raise Failure('target %s is a file, not a directory; move it away' % q(self.link))
        return None, None

    def history(self):
        try:
            with open(os.path.join(self.releases, 'history.json'), encoding='utf-8') as f:
                ids = json.load(f)
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as e:
            raise Failure('cannot read %s: %s' % (q(os.path.join(self.releases, 'history.json')), e))
        # Only well-formed ids: these name directories that pruning removes.
        return [i for i in ids if isinstance(i, str) and RELEASE_ID.match(i) and i != 'history']

    def save_history(self, ids):
        write_json(os.path.join(self.releases, 'history.json'), ids)

    def switch(self, rid):
        """Atomically points the target at a release: a new symlink renamed over the old one."""
        tmp = os.path.join(self.parent, self.reldir + '.next')
        if os.path.lexists(tmp):
            os.unlink(tmp)
        os.symlink('%s/%s' % (self.reldir, rid), tmp)
        os.replace(tmp, self.link)
        log('%s now serves release %s' % (q(self.link), rid))

    def tree(self, rid):
        try:
            with open(os.path.join(self.releases, rid + '.json'), encoding='utf-8') as f:
                return json.load(f)
        except FileNotFoundError:
            pass
        # A legacy release has no manifest: walk it (no hashes; the runner then treats every file as changed).
        top = os.path.join(self.releases, rid)
        files, dirs = [], []
        for here, subdirs, names in os.walk(top):
            rel = os.path.relpath(here, top)
            for d in subdirs:
                p = os.path.join(here, d)
                if not os.path.islink(p):
                    dirs.append({'path': os.path.normpath(os.path.join(rel, d)), 'mode': stat.S_IMODE(os.lstat(p).st_mode)})
            for n in names:
                st = os.lstat(os.path.join(here, n))
                if stat.S_ISREG(st.st_mode):
                    files.append({'path': os.path.normpath(os.path.join(rel, n)), 'size': st.st_size,
                                  'mode': stat.S_IMODE(st.st_mode)})
        return {'files': sorted(files, key=lambda f: f['path']), 'dirs': sorted(dirs, key=lambda d: d['path'])}


def utc_stamp():
    return datetime.datetime.now(datetime.timezone.utc).strftime('%Y%m%dT%H%M%SZ')


def sync_target(job, root, t, parts, workdir, tr):
    target = Target(root, t['target'])
    rid, base = t['releaseId'], t.get('baseReleaseId')
    current, kind = target.current()
    tr['previousReleaseId'] = current
    if current == rid:
        log('%s already serves release %s: nothing to do' % (q(target.link), rid))
        tr['status'] = 'published'
        return
    if base is not None and base != current:
        log('%s serves %s, but the plan was made against %s: base mismatch, nothing written'
            % (q(target.link), current or ('a plain directory' if kind == 'dir' else 'nothing'), base))
        tr.update(status='base-mismatch', actualReleaseId=current)
        return
    os.makedirs(target.releases, exist_ok=True)
    for n in os.listdir(target.releases):
        if n.startswith('.tmp-'):
            log('removing %s left by an interrupted run' % q(n))
            rmtree(os.path.join(target.releases, n))
    history = target.history()
    if current and current not in history and os.path.isdir(os.path.join(target.releases, current)):
        history.append(current)  # served but never recorded (a run killed between switch and history)
    final = os.path.join(target.releases, rid)
    if os.path.lexists(final):
        if rid in history:
            raise Failure('release %s of %s exists already' % (rid, q(target.link)))
        log('removing release %s left unfinished by an interrupted run' % rid)
        rmtree(final)
    building = os.path.join(target.releases, '.tmp-' + rid)
    try:
        build(job, t, target, current, building, parts, workdir, tr)
        os.rename(building, final)
        building = final  # removed on failure until it is served
        if kind == 'dir':
            # A plain directory (older efsync, or by hand) becomes a release once, kept for rollback. It is moved
            # only now, right before the switch, so the target path is missing for a moment at most.
            legacy = 'legacy-' + utc_stamp()
            while os.path.lexists(os.path.join(target.releases, legacy)):
                legacy += 'x'
            history.append(legacy)
            target.save_history(history)
            os.rename(target.link, os.path.join(target.releases, legacy))
            log('moved the plain directory %s aside as release %s' % (q(target.link), legacy))
            tr['previousReleaseId'] = legacy
        target.switch(rid)
        building = None
    finally:
        if building and os.path.lexists(building):
            rmtree(building)
    history.append(rid)
    keep = history[-job['keepReleases']:]
    pruned = [i for i in history if i not in keep]
    target.save_history(keep)
    for old in pruned:
        rmtree(os.path.join(target.releases, old))
        rmtree(os.path.join(target.releases, old + '.json'))
    if pruned:
        log('pruned releases %s' % ', '.join(pruned))
    tr.update(status='published', releasesPruned=pruned)


def build(job, t, target, current, building, parts, workdir, tr):
    """Builds the complete new release in `building`: links of unchanged files, then parts and urls in parallel."""
    log('building release %s of %s: %d files, %d deleted' % (t['releaseId'], q(target.link), len(t.get('files') or []),
                                                             len(t.get('deleted') or [])))
    os.mkdir(building, 0o755)
    release = Release(building)
    dirs = sorted(t.get('dirs') or [], key=lambda d: d['path'])
    for d in dirs:
        os.makedirs(release.path(d['path'], 'directory'), exist_ok=True)
    files = t.get('files') or []
    base = Release(os.path.join(target.releases, current)) if current else None
    by_part, urls, copies = {}, [], []
    for f in files:
        src = f['source']
        if src['from'] == 'part':
            by_part.setdefault(src['part'], []).append(f)
        elif src['from'] == 'url':
            urls.append(f)
        else:
            old = base.path(f['path'])
            try:
                st = os.lstat(old)
            except FileNotFoundError:
                st = None
            if st is None or not stat.S_ISREG(st.st_mode) or st.st_size != f['size']:
                raise Failure('file %s should be kept from release %s but is missing or changed there; publish again '
                              'with a full upload' % (q(f['path']), current))
            dest = release.path(f['path'])
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            if stat.S_IMODE(st.st_mode) == f['mode'] & 0o777:
                os.link(old, dest, follow_symlinks=False)
                tr['filesLinked'] += 1
            else:
                copies.append((f, old))  # a new mode: a chmod of a link would change the old release too
    total = sum(job_part(job, p)['size'] for p in by_part if p not in parts) + sum(f['size'] for f in urls)
    progress = Progress(total)
    pool = cf.ThreadPoolExecutor(max_workers=min(job['concurrency'], 64))
    pending = set()

    def submit(fn):
        pending.add(pool.submit(fn))

    def copy_task(f, old):
        def fill(sink):
            with open(old, 'rb') as r:
                copy(r, sink)
        return lambda: write_file(release, f, fill, 'release ' + current, EXIT['error'])

    def url_task(f):
        name = 'object ' + q(f['path'])
        return lambda: write_file(release, f, lambda s: download(f['source']['url'], name, s, f['size'], progress),
                                  name, EXIT['downloadFailed'])
    try:
        for f, old in copies:
            submit(copy_task(f, old))
        for f in urls:
            submit(url_task(f))
        for name, entries in by_part.items():
            if name in parts:
                for task in parts[name].tasks(release, entries):
                    submit(task)
            else:
                submit(lambda spec=job_part(job, name): Part(spec, workdir, progress))
        while pending:
            done, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
            for fut in done:
                pending.discard(fut)
                value = fut.result()
                if isinstance(value, Part):
                    parts[value.name] = value
                    for task in value.tasks(release, by_part[value.name]):
                        submit(task)
                else:
                    tr['filesWritten'] += value[0]
                    tr['bytesWritten'] += value[1]
    except BaseException:
        STOP.set()  # the other threads stop at their next chunk
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    for d in sorted(dirs, key=lambda d: -d['path'].count('/')):
        os.chmod(release.path(d['path'], 'directory'), d['mode'] & 0o777)
    tree = {'files': [{k: f[k] for k in ('path', 'size', 'mode', 'sha256', 'etag') if k in f} for f in files],
            'dirs': [{'path': d['path'], 'mode': d['mode']} for d in dirs]}
    write_json(os.path.join(target.releases, t['releaseId'] + '.json'), tree)
    log('release %s built: %d files written (%s), %d linked'
        % (t['releaseId'], tr['filesWritten'], human(tr['bytesWritten']), tr['filesLinked']))


def job_part(job, name):
    return next(p for p in job['parts'] if p['name'] == name)


def rollback_target(root, t, tr):
    target = Target(root, t['target'])
    current, kind = target.current()
    if kind != 'release':
        raise Failure('cannot roll back %s: it %s' % (q(target.link), 'is a plain directory, not an efsync release'
                                                     if kind == 'dir' else 'has no release'))
    history = target.history()
    older = history[:history.index(current)] if current in history else history
    previous = next((r for r in reversed(older) if r != current
                     and os.path.isdir(os.path.join(target.releases, r))), None)
    if previous is None:
        raise Failure('cannot roll back %s: no release before %s is left (keep-releases prunes older ones)'
                      % (q(target.link), current))
    target.switch(previous)
    tr.update(status='rolled-back', releaseId=previous, previousReleaseId=current, tree=target.tree(previous))


def work(job, root, result):
    """Under the lock, each target in order; returns the exit code."""
    lock = take_lock(root, job)
    parts, workdir = {}, None
    try:
        # /tmp is a RAM-backed tmpfs on Amazon Linux 2023: big parts go to disk (/var/tmp) unless told otherwise.
        tmp = os.environ.get('TMPDIR') or ('/var/tmp' if os.path.isdir('/var/tmp') else None)
        workdir = tempfile.mkdtemp(prefix='efsync-parts-', dir=tmp)
        for i, t in enumerate(job['targets']):
            tr = {'target': t['target'], 'status': 'failed', 'releaseId': t.get('releaseId') or '',
                  'previousReleaseId': None, 'filesWritten': 0, 'bytesWritten': 0, 'filesLinked': 0,
                  'filesDeleted': len(t.get('deleted') or []) if t['action'] == 'sync' else 0, 'releasesPruned': []}
            result['targets'].append(tr)
            if t['action'] == 'sync':
                sync_target(job, root, t, parts, workdir, tr)
            else:
                rollback_target(root, t, tr)
            if tr['status'] == 'base-mismatch':
                result['status'] = 'base-mismatch'
                return EXIT['baseMismatch']
            # Parts no later target needs are freed now: they can be big.
            later = {f['source'].get('part') for n in job['targets'][i + 1:] for f in n.get('files') or []}
            for name in [n for n in parts if n not in later]:
                parts.pop(name).close()
        return EXIT['ok']
    finally:
        for p in parts.values():
            p.close()
        if workdir:
            shutil.rmtree(workdir, ignore_errors=True)
        release_lock(lock)
        log('released the file system lock')


def put(url, body, content_type, what):
    """Uploads the log or the result by presigned PUT; failing is logged, never fatal."""
    for attempt in range(1, 5):
        try:
            request = urllib.request.Request(url, data=body, method='PUT', headers={'Content-Type': content_type})
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()
            return
        except urllib.error.HTTPError as e:
            why = 'HTTP %d %s' % (e.code, e.reason)
            if e.code < 500 and e.code not in (408, 429):
                break
        except (urllib.error.URLError, http.client.HTTPException, OSError) as e:
            why = str(getattr(e, 'reason', None) or e)
        if attempt < 4:
            time.sleep(attempt)
    log('could not upload the %s: %s' % (what, why))


def on_signal(signum, _frame):
    # Only the first signal interrupts; cleanup (remove the partial release, unlock, unmount) runs undisturbed.
    for s in (signal.SIGTERM, signal.SIGINT):
        signal.signal(s, signal.SIG_IGN)
    STOP.set()
    raise Interrupted(signal.Signals(signum).name)


def main(argv):
    started = time.monotonic()
    args = list(argv)
    mounted = None
    if '--mounted' in args[:-1]:
        i = args.index('--mounted')
        mounted = args.pop(i + 1)
        args.pop(i)
    if len(args) != 1 or args[0].startswith('-'):
        print('usage: efsync_agent.py JOB.json [--mounted DIR]', file=sys.stderr)
        return 2
    os.umask(0o022)
    for s in (signal.SIGTERM, signal.SIGINT):
        signal.signal(s, on_signal)
    result = {'version': 1, 'status': 'ok', 'targets': [], 'seconds': 0}
    job = None
    try:
        job = load_job(args[0])
        log('efsync agent: run %s, %d target(s), file system %s'
            % (job.get('runId'), len(job['targets']), job.get('fileSystemId')))
        if mounted is not None:
            if not os.path.isdir(mounted):
                raise Failure('--mounted %s is not a directory' % q(mounted))
            code = work(job, mounted, result)
        else:
            mount(job['mount'])
            try:
                code = work(job, MOUNTPOINT, result)
            finally:
                umount()
    except Interrupted as e:
        code, result['status'], result['error'] = EXIT['error'], 'error', 'interrupted by %s' % e
    except Failure as e:
        code, result['status'], result['error'] = e.code, 'error', str(e)
    except Exception as e:  # an unexpected failure still yields a result
        code, result['status'], result['error'] = EXIT['error'], 'error', '%s: %s' % (type(e).__name__, e)
    # From here on a signal only stops transfers: the result must get out.
    for s in (signal.SIGTERM, signal.SIGINT):
        signal.signal(s, lambda *_: STOP.set())
    if 'error' in result:
        result['error'] = SIGNED.sub(r'\1=***', URL.sub('<url>', ' '.join(result['error'].split())))
        log('error: ' + result['error'])
    result['seconds'] = round(time.monotonic() - started, 1)
    log.raw('EFSYNC_RESULT ' + json.dumps(result, separators=(',', ':')))
    if job and job.get('resultUrl'):
        put(job['resultUrl'], json.dumps(result).encode(), 'application/json', 'result')
    if job and job.get('logUrl'):
        put(job['logUrl'], ('\n'.join(log.lines) + '\n').encode('utf-8', 'replace'), 'text/plain', 'log')
    return code


if __name__ == '__main__':
    if sys.getfilesystemencoding().lower() not in ('utf-8', 'utf8'):
        # Paths are UTF-8 in the job: make the file system encoding agree, whatever the locale of SSM is.
        os.execv(sys.executable, [sys.executable, '-X', 'utf8'] + sys.argv)
    try:
        sys.stdout.reconfigure(errors='backslashreplace')
    except AttributeError:
        pass
    sys.exit(main(sys.argv[1:]))
