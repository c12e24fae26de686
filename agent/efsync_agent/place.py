"""The place a writer function writes for a run through an access point (job.PlaceSpec, src/remote/protocol.ts).

The function mounts the file system's root as root (its own access point: root directory /, uid and gid 0, with
elasticfilesystem:ClientRootAccess), so it does itself what EFS does for a client of the run's access point ("Enforcing
a user identity using an access point" and "Enforcing a root directory with an access point", EFS User Guide): it
works under that access point's root directory, makes it as its CreationInfo says when it is missing (EFS makes it so
on the first mount through the access point; without CreationInfo that mount fails, and so does this), and gives
everything it makes there the access point's POSIX user (fs.OWNER). Readers and later writers through that access
point, Lambdas and an instance mounting it, then find what they would have written themselves.
"""
from __future__ import annotations

import contextlib
import os

from . import fs
from .common import Failure, q


@contextlib.contextmanager
def entered(root, place):
    """The folder of `place` under the mount root `root` (a Dir), its owner in force while it is used; `root` itself
    without a place."""
    if place is None:
        yield root
        return
    folder = root
    held = []
    try:
        for name in place.names:
            folder = open_or_make(folder, name, place)
            held.append(folder)
        fs.OWNER[0] = place.owner
        yield folder
    finally:
        fs.OWNER[0] = None
        for d in reversed(held):
            d.close()


def open_or_make(parent, name, place):
    """`name` in `parent`, opened without following a link; made as the access point's CreationInfo says if missing."""
    try:
        return parent.sub(name)
    except FileNotFoundError:
        pass
    if place.creation is None:
        raise Failure('the access point\'s root directory %s does not exist, and the access point has no CreationInfo '
                      'to make it: EFS would refuse a mount through it. Give the access point CreationInfo, or make '
                      'the directory; nothing was published' % q('/' + '/'.join(place.names)))
    uid, gid, mode = place.creation
    try:
        os.mkdir(name, 0o700, dir_fd=parent.fd)  # no one else's until it is given its owner and mode
        made = True
    except FileExistsError:
        made = False  # made meanwhile by another writer: used as any existing folder
    folder = parent.sub(name)
    if made:
        try:
            os.fchown(folder.fd, uid, gid)
        except PermissionError as e:
            folder.close()
            os.rmdir(name, dir_fd=parent.fd)  # nothing left half made
            raise fs.not_root(e, uid, gid)
        os.fchmod(folder.fd, mode)
    return folder
