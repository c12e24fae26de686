"""At most once: the claim a writer function makes on the file system before it carries out a job.

Lambda can deliver one job twice: a client that gives up on a synchronous invoke (its socket timed out) and retries
it runs the function again, while the first invocation may still be at work or done. The first delivery to claim the
job carries it out; any other finds the claim and does nothing, so the job is neither carried out twice nor its result
overwritten. A claim is a file named by the job's sha256 (which covers its runId: the job holds it) in the agent's own
folder at the root of the file system, <root>/.efsync/claims/, made with O_CREAT | O_EXCL: exactly one creator
succeeds ("If pathname already exists, then open() fails with the error EEXIST", also for a dangling symbolic link;
"On NFS, O_EXCL is supported only when using NFSv3 or later on kernel 2.6 or later", open(2)). Names starting with
.efsync are reserved at every level of a target's path (src/config/rules.ts), so no target can be that folder.
"""
from __future__ import annotations

import json
import os
import re
import stat
import time

from .common import Failure, q, utc
from .fs import NOFOLLOW
from .log import log


STATE_DIR = '.efsync'
CLAIMS_DIR = 'claims'
CLAIM = re.compile(r'^[0-9a-f]{64}\.claim$')
# A retried invoke comes within the invocation's 15 minutes and the client's retries: a claim a day old serves no
# purpose, and each run leaves one.
KEEP_SECONDS = 24 * 3600


def claim_job(root, run_id, job_sha256, by=None):
    """Claims the job on the file system whose root `root` (a Dir) holds; True if this delivery claimed it now, False
    if an earlier one had. The folders are opened without following a link (Dir.sub), and a claim's name that is not
    the regular file a delivery made fails the run (a planted link is never taken for a claim)."""
    try:
        state = root.sub(STATE_DIR, create=True)
        try:
            claims = state.sub(CLAIMS_DIR, create=True)
        finally:
            state.close()
    except PermissionError as e:
        # A function reaches the file system as its access point's POSIX user, whoever made what is there.
        raise Failure('the function cannot write %s as user %d, group %d (%s): the access point\'s POSIX user must '
                      'own the access point\'s root directory, and what efsync wrote there from an instance too; '
                      'nothing was done' % (q(root.join(STATE_DIR)), os.geteuid(), os.getegid(), e.strerror))
    try:
        name = '%s.claim' % job_sha256
        body = json.dumps({'runId': run_id, 'jobSha256': job_sha256, 'claimedAt': utc(), 'by': by}) + '\n'
        try:
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW, 0o644, dir_fd=claims.fd)
        except FileExistsError:
            st = claims.entry(name)
            if st is None or not stat.S_ISREG(st.st_mode):  # gone again (pruned a day later) or not ours: refuse
                raise claims.not_ours(name, None, 'file')
            log('run %s, job sha256 %s: claimed already by an earlier delivery of the same job' % (run_id, job_sha256))
            return False
        with os.fdopen(fd, 'w', encoding='utf-8') as f:
            f.write(body)
        prune(claims)
        return True
    finally:
        claims.close()


def prune(claims, now=None):
    """Removes the claims older than KEEP_SECONDS, by their modification time (set by the file server as each is
    made). Only names a claim can have, and only regular files: unlinkat(2) removes a name, never what a link names."""
    cutoff = (time.time() if now is None else now) - KEEP_SECONDS
    with os.scandir(claims.fd) as it:
        old = [e.name for e in it if CLAIM.match(e.name) and e.is_file(follow_symlinks=False)
               and e.stat(follow_symlinks=False).st_mtime < cutoff]
    for name in old:
        try:
            os.unlink(name, dir_fd=claims.fd)
        except FileNotFoundError:  # another delivery pruned it first
            pass
    if old:
        log('removed %d claim(s) older than a day' % len(old))
