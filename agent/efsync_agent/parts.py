"""Staged parts: downloaded to the instance's disk, verified, read member by member, deleted once used."""
from __future__ import annotations

import errno
import fcntl
import functools
import os
import shutil
import stat
import tarfile
import tempfile
import time

from .common import EXIT, Failure, human, q
from .files import Sink, copy, write_file
from .log import log
from .result import Done
from .transfer import download


class Part:
    """A staged tar part: downloaded once to a local file and verified, then its members are read from it."""

    def __init__(self, spec, workdir, progress):
        self.name, self.size, started = spec.name, spec.size, time.monotonic()
        self.path = os.path.join(workdir, 'part-' + os.urandom(6).hex())
        full = functools.partial(no_space, spec, workdir)
        try:
            try:
                with open(self.path, 'wb') as f:
                    sink = Sink(f, full)
                    download(spec.url, 'part ' + q(self.name), sink, spec.size, progress)
            except OSError as e:  # what was still buffered is written as the file closes
                if e.errno in (errno.ENOSPC, errno.EDQUOT):
                    raise Failure(full())
                raise
            if sink.sha256.hexdigest() != spec.sha256.lower():
                raise Failure('part %s is corrupt: sha256 %s, expected %s'
                              % (q(self.name), sink.sha256.hexdigest(), spec.sha256), EXIT['downloadFailed'])
            log('downloaded part %s (%s) in %.1f s' % (q(self.name), human(spec.size), time.monotonic() - started))
            # A plain tar can be read by many threads at once, each at its member's offset; a compressed one only
            # in order. Member names are looked up, never used as paths; owners are ignored.
            try:
                try:
                    self.tar, self.plain = tarfile.open(self.path, 'r:', encoding='utf-8'), True
                except tarfile.ReadError:
                    self.tar, self.plain = tarfile.open(self.path, 'r:*', encoding='utf-8'), False
                self.members = {m.name: m for m in self.tar.getmembers()}
            except (tarfile.TarError, OSError, EOFError) as e:
                raise Failure('part %s is not a readable tar: %s' % (q(self.name), e), EXIT['downloadFailed'])
        except BaseException:
            if os.path.lexists(self.path):
                os.unlink(self.path)
            raise

    def member(self, entry):
        info = self.members.get(entry.source.member)
        if info is None or not info.isreg() or info.sparse is not None:
            raise Failure('part %s has no regular file member %s (for %s)'
                          % (q(self.name), q(entry.source.member), q(entry.path)), EXIT['downloadFailed'])
        return info

    def tasks(self, release, entries):
        """Callables writing the given files: one per file from a plain tar, one for all from a compressed one."""
        origin, code = 'part ' + q(self.name), EXIT['downloadFailed']

        def from_offset(info):
            def fill(sink):
                with open(self.path, 'rb') as f:
                    f.seek(info.offset_data)
                    copy(f.read, sink, info.size)
            return fill

        if self.plain:
            return [lambda e=e, fill=from_offset(self.member(e)): write_file(release, e, fill, origin, code)
                    for e in entries]

        def in_order():
            done = [write_file(release, e, lambda s, i=info: copy(self.tar.extractfile(i).read, s), origin, code)
                    for info, e in sorted(((self.member(e), e) for e in entries), key=lambda p: p[0].offset)]
            return Done(len(done), sum(d.bytes_written for d in done), 0)
        return [in_order]

    def close(self):
        self.tar.close()
        os.unlink(self.path)


PARTS_PREFIX = 'efsync-parts-'
IN_USE = '.in-use'


def parts_root():
    """Where staged parts go: $TMPDIR when set, else /var/tmp. SSM Agent sets no TMPDIR, and /tmp is a RAM-backed tmpfs
    of half the memory on Amazon Linux 2023, meant for small files; /var/tmp is on the root volume, which the action
    sizes for the parts (AL2023 User Guide, "/tmp (small temporary files)")."""
    return os.environ.get('TMPDIR') or ('/var/tmp' if os.path.isdir('/var/tmp') else tempfile.gettempdir())


def hold_scratch(folder):
    """Marks a scratch folder as this agent's while it lives: an exclusive lock on its .in-use file, which the kernel
    drops when the process ends, however it ends."""
    fd = os.open(os.path.join(folder, IN_USE), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def clear_stale_scratch(root=None):
    """Removes the parts folders earlier agents left in `root` (parts_root()): a command SSM ends at its timeout or on
    cancel is killed with SIGKILL, and its agent cleans nothing up. On a warm or borrowed instance the next run finds
    them, and the root volume is sized for one run's parts, not for every run's. A folder is left over when its
    .in-use lock is free; one without the file, or whose lock a live agent holds, is kept. Only root's own folders,
    never through a symbolic link (shutil.rmtree follows none)."""
    root = root or parts_root()
    try:
        names = [n for n in os.listdir(root) if n.startswith(PARTS_PREFIX)]
    except OSError:
        return
    for name in names:
        folder = os.path.join(root, name)
        try:
            st = os.lstat(folder)
            if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid():
                continue
            fd = os.open(os.path.join(folder, IN_USE), os.O_RDWR | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        try:
            shutil.rmtree(folder)
            log('removed %s, left by an earlier run that was killed' % q(folder))
        except OSError as e:
            log('could not remove %s, left by an earlier run: %s' % (q(folder), e))
        finally:
            os.close(fd)


def no_space(spec, workdir):
    """The error of a part that did not fit on the instance's disk."""
    try:
        st = os.statvfs(workdir)
        room = ': %s of %s free' % (human(st.f_bavail * st.f_frsize), human(st.f_blocks * st.f_frsize))
    except OSError:
        room = ''
    return ('no space left on the instance\'s disk for part %s (%s) in %s%s. The agent keeps only the parts being '
            'downloaded or written out, and the action sizes the root volume for them: something else may have '
            'filled it' % (q(spec.name), human(spec.size), q(workdir), room))


class PartStore:
    """The staged parts on the instance's disk, by name. A part is downloaded when a target first needs it and
    deleted as soon as the files taken from it are written, unless a later target needs it too. New downloads start
    only while fewer than `limit` parts are on disk (downloading, or waiting for their files to be written), so the
    disk holds about `limit` parts at a time, never the sum of a target's parts (the action sizes the root volume by
    the same rule: src/remote/job.ts, scratchBytes)."""

    def __init__(self, limit, root=None):
        """`root`: where the parts folder goes (parts_root() unless given: a writer function's /tmp)."""
        self.workdir = tempfile.mkdtemp(prefix=PARTS_PREFIX, dir=root or parts_root())
        self.in_use = hold_scratch(self.workdir)
        self.limit, self.held, self.later = max(limit, 1), {}, set()
        # Parts downloading now, and the bytes on disk (a download counts in full from its start): now and at most.
        self.downloading, self.bytes, self.peak_parts, self.peak_bytes = 0, 0, 0, 0

    def __contains__(self, name):
        return name in self.held

    def __getitem__(self, name):
        return self.held[name]

    def room(self, idle):
        """Whether another download may start: fewer than `limit` parts on disk, or nothing else under way (`idle`)
        that could free any."""
        return self.downloading + len(self.held) < self.limit or (idle and not self.downloading)

    def start(self, spec):
        """In the main thread, as a download is submitted."""
        self.downloading += 1
        self.bytes += spec.size
        self.peak_parts = max(self.peak_parts, self.downloading + len(self.held))
        self.peak_bytes = max(self.peak_bytes, self.bytes)

    def download(self, spec, progress):
        """Runs in a worker thread; the main thread then add()s the part, so `held` has one writer."""
        return Part(spec, self.workdir, progress)

    def add(self, part):
        self.downloading -= 1
        self.held[part.name] = part

    def used(self, name):
        """Every file the current target takes from the part is written: it goes, unless a later target needs it."""
        if name not in self.later:
            self.drop(name)

    def drop(self, name):
        part = self.held.pop(name)
        self.bytes -= part.size
        part.close()

    def keep_only(self, names):
        """Frees the parts not named, as soon as no later target needs them."""
        for name in [n for n in self.held if n not in names]:
            self.drop(name)

    def close(self):
        for part in self.held.values():
            part.close()
        self.held = {}
        shutil.rmtree(self.workdir, ignore_errors=True)
        os.close(self.in_use)
