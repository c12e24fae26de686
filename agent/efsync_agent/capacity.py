"""What a writer function can hold at once: how many threads and staged parts its memory, /tmp and open files allow.

An instance is sized for the job (src/remote/instance/sizing.ts); a function is what its template made it: 128 MB to
10 GB of memory, a /tmp of 512 MB to 10 GB (EphemeralStorage, the Lambda API reference) and 1,024 file descriptors
("Lambda quotas", Function configuration, deployment, and execution). The job's concurrency is taken down to what
those allow, and a job that cannot fit at all is refused before anything is written.
"""
from __future__ import annotations

import os
import resource
from typing import NamedTuple

from .common import Failure, human, q


# Memory: the interpreter, one job chunk (job.CHUNK_MAX_BYTES) and its entries take about BASE_MIB; each thread
# streams through buffers of a chunk (files.CHUNK) or so, about WORKER_MIB with what the socket and the file hold.
BASE_MIB = 128
WORKER_MIB = 4
# Open files: a release holds each of its folders open while it is built, and so does the base release it links from
# (files.Release); each thread adds a socket and a file or two; FD_RESERVE is the rest (the interpreter, the lock, the
# log's uploads, the staged parts' tar files).
FDS_PER_WORKER = 4
FD_RESERVE = 64
MAX_THREADS = 64  # as on an instance (build.py)


class Capacity(NamedTuple):
    threads: int
    parts: int  # staged parts in /tmp at once (PartStore's limit)
    why: str  # for the log


def memory_mib():
    """The function's memory, which Lambda gives its code as AWS_LAMBDA_FUNCTION_MEMORY_SIZE (in MB); None elsewhere."""
    value = os.environ.get('AWS_LAMBDA_FUNCTION_MEMORY_SIZE', '')
    return int(value) if value.isdigit() else None


def open_files():
    """The most files the process may open: its soft limit, raised to the hard one where it is lower."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 1 << 20), hard))
            soft = min(hard, 1 << 20)
        except (ValueError, OSError):
            pass
    return soft


def capacity(job, scratch):
    """How many threads and staged parts at once the job gets here; fails when its largest part does not fit in
    `scratch` (/tmp) or its largest release cannot be held open."""
    threads, why = min(job.concurrency, MAX_THREADS), []
    memory = memory_mib()
    if memory is not None:
        threads = min(threads, max((memory - BASE_MIB) // WORKER_MIB, 1))
        why.append('%d MB of memory' % memory)
    folders = max((len(t.dirs) + 1 for t in job.targets), default=1)
    fds = open_files()
    by_fds = (fds - 2 * folders - FD_RESERVE) // FDS_PER_WORKER
    if by_fds < 1:
        raise Failure('a release of this job has %d folders, and a release is built holding each of its folders (and '
                      'those of the release before it) open: more than the %d files the function may open (a Lambda '
                      'quota). Publish it with an instance' % (folders, fds))
    threads = min(threads, by_fds)
    why.append('%d open files' % fds)
    st = os.statvfs(scratch)
    free = st.f_bavail * st.f_frsize
    biggest = max(job.parts.values(), key=lambda p: p.size, default=None)
    parts = threads
    if biggest is not None and biggest.size > 0:
        if biggest.size > free:
            raise Failure('staged part %s (%s) does not fit in the function\'s %s (%s free of %s): nothing was done. '
                          'Give the function more ephemeral storage (up to 10,240 MB), or publish with an instance'
                          % (q(biggest.name), human(biggest.size), scratch, human(free),
                             human(st.f_blocks * st.f_frsize)))
        parts = max(min(threads, free // biggest.size), 1)
        why.append('%s free in %s for parts of up to %s' % (human(free), scratch, human(biggest.size)))
    return Capacity(threads, parts, ', '.join(why))
