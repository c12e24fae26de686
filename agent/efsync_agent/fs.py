"""The file system: the agent opens nothing through a link it did not make."""
from __future__ import annotations

import errno
import json
import os
import stat

from .common import Failure, need, q


# Writers of the file system (Lambdas through an access point, whose requests all run as its POSIX user, the owner of
# everything efsync writes there too) can plant symbolic links and swap folders while the agent works as root. So:
# - No path is resolved through a link. Every folder is opened one name at a time from the mount root, relative to the
#   folder before it (openat(2) with O_NOFOLLOW | O_DIRECTORY: "If the trailing component (i.e., basename) of
#   pathname is a symbolic link, then the open fails, with the error ELOOP"), and every file, link, rename, removal
#   and mode change works relative to a folder held open (dir_fd=, fchmod on the open file). A folder renamed away and
#   replaced mid-run therefore never receives a write meant for it; the writes stay in the folder the agent opened.
# - Before anything is published (and after a switch), each folder held is checked to be still at its name (lstat of
#   the name against fstat of the open folder): a swapped folder fails the run, and the served release stays.
# - Temporary names come from os.urandom and are created exclusively: O_CREAT | O_EXCL ("If pathname already exists,
#   then open() fails with the error EEXIST", also when it is a dangling link: open(2)), mkdir(2) and symlink(2),
#   which never reuse an existing name.
# - The releases folder holds only what efsync makes: a symbolic link in it fails the run, naming it.
# - Removal walks folders through descriptors (remove()), as shutil.rmtree does only where
#   rmtree.avoids_symlink_attacks, and never leaves the folder it opened.
# What stays: a writer can still change what is inside a release after it is verified; the checks make a swap fail
# the run, they cannot make the file system read-only to its other writers.
NOFOLLOW = os.O_NOFOLLOW | os.O_CLOEXEC
O_DIR = os.O_RDONLY | os.O_DIRECTORY | NOFOLLOW
# Published modes keep the permission bits but world-write: setuid, setgid and sticky bits (chmod(2)) never reach a
# file system that Lambdas execute from, and no release is writable by every user.
MODE_MASK = 0o775


# The owner given to everything the agent makes, when it writes a place as root for an access point's POSIX user (the
# writer function mounts the file system's root as root: place.py): EFS gives that user to everything made through
# the access point ("Enforcing a user identity using an access point", EFS User Guide), so readers and later writers
# through it, an instance mounting it among them, can use what the function wrote. None: the process's own.
OWNER = [None]


def own(name, dir_fd):
    """Gives `name` in the folder `dir_fd` the place's owner: a link itself, never what it points to."""
    if OWNER[0] is not None:
        try:
            os.chown(name, OWNER[0][0], OWNER[0][1], dir_fd=dir_fd, follow_symlinks=False)
        except PermissionError as e:
            raise not_root(e, *OWNER[0])


def own_fd(fd):
    if OWNER[0] is not None:
        try:
            os.fchown(fd, OWNER[0][0], OWNER[0][1])
        except PermissionError as e:
            raise not_root(e, *OWNER[0])


def not_root(error, uid, gid):
    return Failure('cannot give what it writes the access point\'s owner, uid %d gid %d (%s): the writer function must '
                   'mount the file system\'s root as root, through an access point with uid and gid 0 and with '
                   'elasticfilesystem:ClientRootAccess (the template\'s WriterAccessPoint and WriterRole); nothing was '
                   'published' % (uid, gid, error.strerror))


def random_name(prefix):
    return '%s%s' % (prefix, os.urandom(8).hex())


class Dir:
    """A folder of the file system held open: `path` names it for messages only, nothing is resolved through it."""

    def __init__(self, fd, path, parent=None, name=None):
        self.fd, self.path, self.parent, self.name = fd, path, parent, name
        st = os.fstat(fd)
        self.id = (st.st_dev, st.st_ino)

    @classmethod
    def open(cls, path):
        try:
            return cls(os.open(path, O_DIR), path)
        except OSError as e:
            if e.errno in (errno.ELOOP, errno.ENOTDIR):
                raise Failure('%s is not a folder (or is a symbolic link): refusing to use it' % q(path))
            raise

    def join(self, name):
        return os.path.join(self.path, name)

    def not_ours(self, name, error, kind='folder'):
        """The one error for a name that is not the file or folder efsync made: a planted link, a file for a folder."""
        try:
            link = stat.S_ISLNK(os.stat(name, dir_fd=self.fd, follow_symlinks=False).st_mode)
        except OSError:
            link = False
        if link or (error is not None and error.errno == errno.ELOOP):
            return Failure('%s is a symbolic link that efsync did not make (another writer of the file system planted '
                           'it?): refusing to follow it; nothing was published. Remove it and run again'
                           % q(self.join(name)))
        return Failure('%s is not the %s efsync made there: refusing to use it; nothing was published. Remove it and '
                       'run again' % (q(self.join(name)), 'regular file' if kind == 'file' else kind))

    def sub(self, name, create=False, mode=0o755):
        """The folder `name` in this one, opened without following a link; made first if `create` and missing."""
        if create:
            try:
                os.mkdir(name, mode, dir_fd=self.fd)
                own(name, self.fd)
            except FileExistsError:
                pass
        try:
            fd = os.open(name, O_DIR, dir_fd=self.fd)
        except OSError as e:
            if e.errno in (errno.ELOOP, errno.ENOTDIR):
                raise self.not_ours(name, e)
            raise
        return Dir(fd, self.join(name), self, name)

    def entry(self, name):
        """lstat of a name in this folder; None if there is none."""
        try:
            return os.stat(name, dir_fd=self.fd, follow_symlinks=False)
        except FileNotFoundError:
            return None

    def holds(self, name, d):
        """Whether `name` here is the very folder `d` (a folder held open)."""
        st = self.entry(name)
        return st is not None and stat.S_ISDIR(st.st_mode) and (st.st_dev, st.st_ino) == d.id

    def verify(self):
        """Fails unless this folder, and each above it up to the mount root, is still at its name."""
        d = self
        while d.parent is not None:
            if not d.parent.holds(d.name, d):
                raise Failure('%s was moved, removed or replaced (by a symbolic link or another folder) while efsync '
                              'worked in it: refusing to publish into it; nothing was published' % q(d.path))
            d = d.parent

    def open_file(self, name, kind='file'):
        """A regular file of this folder, opened to read without following a link."""
        try:
            fd = os.open(name, os.O_RDONLY | NOFOLLOW | os.O_NONBLOCK, dir_fd=self.fd)
        except OSError as e:
            if e.errno == errno.ELOOP:
                raise self.not_ours(name, e, kind)
            raise
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise self.not_ours(name, None, kind)
        return fd

    def read_json(self, name):
        with os.fdopen(self.open_file(name), encoding='utf-8') as f:
            return json.load(f)

    def create(self, prefix, mode=0o600):
        """A new file under an unpredictable name, created exclusively; returns (name, fd)."""
        name = random_name(prefix)
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW, mode, dir_fd=self.fd)
        try:
            own_fd(fd)
        except BaseException:
            os.close(fd)
            self.discard(name)
            raise
        return name, fd

    def write_json(self, name, data):
        """Writes `name` whole or not at all: a new temporary file, renamed over it (rename(2) replaces a link
        itself, never what it points to)."""
        tmp, fd = self.create('.tmp-%s-' % name, 0o644)
        try:
            with os.fdopen(fd, 'w', encoding='utf-8') as f:
                json.dump(data, f, indent=1)
            os.replace(tmp, name, src_dir_fd=self.fd, dst_dir_fd=self.fd)
        except BaseException:
            self.discard(tmp)
            raise

    def discard(self, name):
        try:
            os.unlink(name, dir_fd=self.fd)
        except FileNotFoundError:
            pass

    def close(self):
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def remove(parent, name, expect=None):
    """Removes `name` from the folder `parent`, never following a link: a file or a link is unlinked; a folder is
    emptied through descriptors (unlinkat(2) relative to it), deepest first, then removed. With `expect` (a Dir), a
    folder is removed only if it is that very folder."""
    st = parent.entry(name)
    if st is None:
        return
    if not stat.S_ISDIR(st.st_mode):
        need(expect is None, '%s is no longer the folder efsync made: not removed' % q(parent.join(name)))
        os.unlink(name, dir_fd=parent.fd)
        return
    d = parent.sub(name)
    try:
        need(d.id == (st.st_dev, st.st_ino) and (expect is None or d.id == expect.id),
             '%s was replaced while efsync removed it: not removed' % q(d.path))
        os.fchmod(d.fd, 0o700)  # a folder of a release may lack write permission (its mode from the source)
        with os.scandir(d.fd) as it:
            names = [(e.name, e.is_dir(follow_symlinks=False)) for e in it]
        for n, is_dir in names:
            if is_dir:
                remove(d, n)
            else:
                os.unlink(n, dir_fd=d.fd)
    finally:
        d.close()
    os.rmdir(name, dir_fd=parent.fd)
