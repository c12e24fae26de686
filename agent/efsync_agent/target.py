"""A target on the file system: its link, its releases folder, and the switch from one release to another."""
from __future__ import annotations

import errno
import os
import stat

from .common import Failure, q, rel_parts
from .fs import own, random_name
from .history import History
from .job import RELEASE_ID
from .log import log


class Target:
    """A target <parent>/<name>: its parent folder and its releases folder, held open (Dir) from the mount root."""

    def __init__(self, root, name):
        parts = rel_parts(name, 'target')
        self.name, self.reldir, self.held = parts[-1], '.%s.efsync' % parts[-1], []
        self.target, self.root, self.dirs = name, root, parts[:-1]
        self.releases = self.parent = None
        self.link = os.path.join(root.path, *parts)
        self.open_parent(create=False)

    def open_parent(self, create):
        """Opens the parent folder, one name at a time from the mount root, making missing ones if `create`; leaves
        `parent` None when one is missing (a target never published)."""
        if self.parent is not None:
            return
        for d in self.held[::-1]:
            d.close()
        self.held, parent = [], self.root
        try:
            for p in self.dirs:
                parent = parent.sub(p, create=create)
                self.held.append(parent)
        except FileNotFoundError:
            return
        except Failure as e:
            for d in self.held:
                d.close()
            self.held = []
            # A parent through a symlink would put this target inside another one's release.
            raise Failure('refusing target %s: its parent resolves through a symlink (inside another target?): %s'
                          % (q(self.target), e))
        self.parent = parent

    def close(self):
        for d in [self.releases] + self.held[::-1]:
            if d is not None:
                d.close()

    def open_releases(self, create):
        """The releases folder beside the target, opened (and made, if `create`) without following a link."""
        if self.releases is None:
            if self.parent is None:
                raise FileNotFoundError(errno.ENOENT, 'no parent folder', self.link)
            self.releases = self.parent.sub(self.reldir, create=create)
        return self.releases

    def current(self):
        """(release id or None, 'release' | 'dir' | None): what the target path is now."""
        st = self.parent.entry(self.name) if self.parent is not None else None
        if st is None:
            return None, None
        if stat.S_ISLNK(st.st_mode):
            text = os.readlink(self.name, dir_fd=self.parent.fd).rstrip('/')
            rid = text[len(self.reldir) + 1:] if text.startswith(self.reldir + '/') else ''
            if not RELEASE_ID.match(rid):
                raise Failure('target %s is a symlink to %s, not to an efsync release; move it away'
                              % (q(self.link), q(text)))
            return rid, 'release'
        if stat.S_ISDIR(st.st_mode):
            return None, 'dir'
        raise Failure('target %s is a file, not a directory; move it away' % q(self.link))

    def check_releases(self):
        """The names in the releases folder; fails on a symbolic link there, which efsync never makes."""
        rel, names = self.releases, os.listdir(self.releases.fd)
        for n in names:
            st = rel.entry(n)
            if st is not None and stat.S_ISLNK(st.st_mode):
                raise rel.not_ours(n, None)
        return names

    def history(self, current):
        return History.load(self.releases, current)

    def save_history(self, history):
        self.releases.write_json('history.json', history.to_json())

    def switch(self, rid, folder):
        """Points the target at the release held open as `folder`, atomically: a new symlink, under a new name, renamed
        over the old one. Before and after, the releases folder and the release must be the very ones held."""
        self.check_releases()
        folder.verify()
        text = '%s/%s' % (self.reldir, rid)
        tmp = random_name(self.reldir + '.next-')
        os.symlink(text, tmp, dir_fd=self.parent.fd)
        try:
            own(tmp, self.parent.fd)
            os.replace(tmp, self.name, src_dir_fd=self.parent.fd, dst_dir_fd=self.parent.fd)
        except BaseException:
            self.parent.discard(tmp)
            raise
        folder.verify()
        log('%s now serves release %s' % (q(self.link), rid))

    def tree(self, rid):
        try:
            return self.releases.read_json(rid + '.json')
        except FileNotFoundError:
            pass
        # A legacy release has no manifest: walk it (no hashes, so the runner counts every file as changed). os.fwalk
        # works through descriptors and, without follow_symlinks, never enters a link.
        files, dirs = [], []
        for here, subdirs, names, fd in os.fwalk(rid, dir_fd=self.releases.fd):
            for n in subdirs + names:
                st = os.stat(n, dir_fd=fd, follow_symlinks=False)
                rel = os.path.relpath(os.path.join(here, n), rid)
                if stat.S_ISDIR(st.st_mode):
                    dirs.append({'path': rel, 'mode': stat.S_IMODE(st.st_mode)})
                elif stat.S_ISREG(st.st_mode):
                    files.append({'path': rel, 'size': st.st_size, 'mode': stat.S_IMODE(st.st_mode)})
        return {'files': sorted(files, key=lambda f: f['path']), 'dirs': sorted(dirs, key=lambda d: d['path'])}
