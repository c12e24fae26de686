"""The writer function's entry into the agent: handler(event, context) carries out one job (JobManifest,
src/remote/protocol.ts) on the file system Lambda mounted, as the instance's command does on the one it mounts, and
answers with the result (AgentResult).

The function's own code (agent/writer/index.py) downloads this zipapp, checks its sha256 and calls handler() with the
event it was invoked with: {"efsync": 1, "runId": ..., "job": {"url", "sha256"}, "agent": {"url", "sha256"}}.
What differs from an instance:
- The file system is mounted by Lambda, through the function's access point, at EFSYNC_MOUNT_PATH (the template sets
  it to the function's LocalMountPath), as with --mounted: the job's mount options are not used.
- Staged parts go to the function's /tmp (or TMPDIR), and the job gets the threads its memory, /tmp and open files
  allow (capacity.py).
- The invocation's time is bounded: the agent stops in time to leave the served releases intact (deadline.py).
- A job delivered twice is carried out once (claim.py): a later delivery answers {"duplicate": true, ...}.
- One process serves invocation after invocation: the log and the stop signal start afresh with each.
Nothing is uploaded before the job is claimed (the first delivery's log and result are never overwritten): a job
refused before that (its sha256, its runId, no time left) gets its error in the answer only.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import time
import traceback

from .capacity import capacity
from .claim import claim_job
from .common import EXIT, STOP, Failure, need, q
from .deadline import Deadline
from .fs import Dir
from .job import parse_job
from .log import log
from .place import entered
from .result import AgentResult
from .run import prepare, report, run_targets
from .transfer import NETWORK, LogShipper, fetch


# The mount path Lambda accepts (FileSystemConfig, LocalMountPath: "^/mnt/[a-zA-Z0-9-_.]+$", the Lambda API reference).
MOUNT_PATH = re.compile(r'^/mnt/[A-Za-z0-9_.-]+$')
HEX64 = re.compile(r'^[0-9a-f]{64}$')
URL = re.compile(r'^https?://[^\s\x00-\x1f\x7f/?#]+[^\s\x00-\x1f\x7f]*$')
# A job holds its targets and parts; the files are in chunks (src/remote/stage/job-upload.ts): a few MB at most.
JOB_MAX_BYTES = 64 << 20


class EventError(ValueError):
    """An event this handler does not take: Lambda answers it as the function's error."""


def check_event(event):
    """The runId and the job's reference of an event of version 1; raises EventError for anything else."""
    if not isinstance(event, dict) or event.get('efsync') != 1 or isinstance(event.get('efsync'), bool):
        raise EventError('efsync agent: not an efsync event of version 1')
    run_id = event.get('runId')
    if not isinstance(run_id, str) or not run_id:
        raise EventError('efsync agent: the event has no runId')
    job = event.get('job')
    if not isinstance(job, dict) or not isinstance(job.get('url'), str) or URL.match(job['url']) is None:
        raise EventError('efsync agent: the event has no http(s) URL of the job')
    if not isinstance(job.get('sha256'), str) or HEX64.match(job['sha256']) is None:
        raise EventError('efsync agent: the event has no sha256 of the job (64 lowercase hex digits)')
    return run_id, job


def mount_path():
    """Where Lambda mounted the file system: EFSYNC_MOUNT_PATH, which must be a mount path Lambda allows."""
    path = os.environ.get('EFSYNC_MOUNT_PATH')
    need(path is not None, 'EFSYNC_MOUNT_PATH is not set: the function must name the LocalMountPath of its file system')
    need(MOUNT_PATH.match(path) is not None,
         'EFSYNC_MOUNT_PATH %s is not a mount path of a Lambda function (/mnt/ and one name)' % q(path))
    need(os.path.ismount(path), 'nothing is mounted at EFSYNC_MOUNT_PATH %s: the function needs a file system '
         'configuration (its access point, mounted at that LocalMountPath)' % q(path))
    return path


def scratch_root():
    """Where staged parts go: TMPDIR when set, else /tmp, the only place a function may write besides its mounts."""
    return os.environ.get('TMPDIR') or '/tmp'


def handler(event, context):
    """Lambda's handler signature: carries the job out and answers with its result (AgentResult as JSON), or with
    {"duplicate": true, "runId", "jobSha256"} for a job an earlier delivery claimed."""
    started = time.monotonic()
    run_id, ref = check_event(event)
    STOP.clear()
    log.reset()
    os.umask(0o022)
    result, job, claimed, root, shipper, deadline = AgentResult(), None, False, None, None, None
    subnet, NETWORK['subnet'] = NETWORK['subnet'], 'the function\'s subnets'
    try:
        path = mount_path()
        job = read_job(ref, run_id, result)
        deadline = Deadline(context)
        deadline.start()  # before the claim: a job without the time to run is left to a later delivery
        root = Dir.open(path)
        if not claim_job(root, run_id, result.job_sha256, getattr(context, 'aws_request_id', None)):
            return {'duplicate': True, 'runId': run_id, 'jobSha256': result.job_sha256}
        claimed = True
        shipper = LogShipper(job.log_url).start() if job.log_url else None
        carry_out(job, root, result, deadline)
    except Failure as e:
        result.fail(e.code, str(e))
    except Exception as e:  # a bug or an unexpected OS error still yields a result, and the log has the traceback
        for line in traceback.format_exc().splitlines():
            log(line)
        result.fail(EXIT['error'], '%s: %s' % (type(e).__name__, e))
    finally:
        NETWORK['subnet'] = subnet
        if deadline is not None:
            deadline.cancel()
        if root is not None:
            root.close()
    if deadline is not None and deadline.expired and result.status == 'error':
        result.error = deadline.explain(result.error)
    if shipper:
        shipper.stop()
    report(result, job if claimed else None, started)
    STOP.clear()  # the next invocation of this process starts afresh
    return result.to_json()


def read_job(ref, run_id, result):
    """Downloads the job, checks its sha256 against the event's and its runId against the event's."""
    data = fetch(ref['url'], 'the job', JOB_MAX_BYTES)
    need(hashlib.sha256(data).hexdigest() == ref['sha256'],
         'the job does not match its sha256 in the event: refusing it; nothing was done')
    job = parse_job(data, result, 'the job')
    if job.run_id != run_id:
        result.run_id = result.job_sha256 = None  # not this run's job: the result must not pass for one of its
        raise Failure('the job is for run %s, the event for run %s: refusing it; nothing was done'
                      % (json.dumps(job.run_id), json.dumps(run_id)))
    # The template may name the file system it mounts: a job for another one is refused, never written to this one.
    mounted = os.environ.get('EFSYNC_FILE_SYSTEM_ID')
    need(not mounted or mounted == job.file_system_id,
         'the job is for file system %s, the function mounts %s: refusing it; nothing was done'
         % (job.file_system_id, mounted))
    return job


def carry_out(job, root, result, deadline):
    """run.carry_out with the file system mounted already, scratch space in /tmp and the function's time."""
    scratch = scratch_root()
    log('efsync agent in a writer function: the file system is mounted by Lambda at %s (the function\'s file system '
        'configuration); the job\'s mount options (%s) are not used' % (root.path, job.mount.reason))
    fits = capacity(job, scratch)
    if fits.threads < job.concurrency:
        log('%d threads, not the job\'s %d: what the function allows (%s)' % (fits.threads, job.concurrency, fits.why))
    job.concurrency = fits.threads
    if job.lock_timeout_seconds > deadline.left():
        job.lock_timeout_seconds = max(round(deadline.left()), 0)
        log('waits at most %d s for the file system lock: the function\'s time' % job.lock_timeout_seconds)
    prepare(job, scratch)
    if job.place is not None:
        log('writes under %s as uid %s, as the run\'s access point would' % (
            q('/' + '/'.join(job.place.names)), '%d gid %d' % job.place.owner if job.place.owner else 'root'))
    with entered(root, job.place) as place:
        run_targets(job, place, result, fits.parts, scratch)
