"""The run: the arguments, the mount, the targets in order, and the result as the last line."""
from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import time
import traceback

from .common import EXIT, Failure, Interrupted, SIGNALS, STOP, human, need, q
from .fs import Dir
from .job import load_job
from .log import log, redact
from .mount import MOUNTPOINT, mount, release_lock, take_lock, umount
from .parts import PartStore, clear_stale_scratch
from .result import AgentResult, TargetResult
from .target_run import TargetRun
from .transfer import LogShipper, put


def run_targets(job, root, result, parts_limit=None, scratch=None):
    """Takes the lock, then carries out each target in order; returns the exit code. Staged parts go to `scratch`
    (parts_root() unless given), at most `parts_limit` at once (the job's concurrency unless given)."""
    lock, parts = take_lock(root, job), None
    try:
        parts = PartStore(parts_limit or min(job.concurrency, 64), scratch)
        for i, spec in enumerate(job.targets):
            if STOP.is_set():  # told to stop (a writer function's time is up): no target starts
                raise Failure('stopped')
            tr = TargetResult(spec.target, 'failed', spec.release_id)
            result.targets.append(tr)
            later = frozenset().union(*(p for t in job.targets[i + 1:] for p in t.batch_parts()))
            parts.later = later
            TargetRun(job, root, spec, parts, tr, later).run()
            if tr.status == 'base-mismatch':  # the runner plans again: nothing more is written
                result.status = 'base-mismatch'
                return EXIT['baseMismatch']
            parts.keep_only(later)
        return EXIT['ok']
    finally:
        if parts is not None:
            if parts.peak_parts:
                log('staged parts on the instance\'s disk at once: at most %d (%s), in %s'
                    % (parts.peak_parts, human(parts.peak_bytes), q(parts.workdir)))
            parts.close()
        release_lock(lock)


def on_signal(signum, _frame):
    # Only the first signal interrupts: cleanup (remove the partial release, unlock, unmount) then runs undisturbed.
    for s in SIGNALS:
        signal.signal(s, signal.SIG_IGN)
    STOP.set()
    raise Interrupted(signal.Signals(signum).name)


class Usage(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, self.format_usage())  # the usage line alone, as the agent has always answered a bad call


def parse_args(argv):
    """JOB.json [--mounted DIR]; with --mounted, DIR stands for the file system: it is neither mounted nor unmounted."""
    parser = Usage(prog='efsync_agent.pyz', usage='efsync_agent.pyz JOB.json [--mounted DIR]', add_help=False,
                   allow_abbrev=False)
    parser.add_argument('job', metavar='JOB.json')
    parser.add_argument('--mounted', metavar='DIR')
    args = parser.parse_args(argv)
    if args.job.startswith('-'):  # '-' or a name after '--': never a job file that could pass for an option
        parser.error('invalid job file name')
    return args


def carry_out(job, mounted, result):
    """Mounts the file system (unless it is `mounted` already), runs the targets, unmounts; returns the exit code."""
    prepare(job)
    if mounted is not None:
        need(os.path.isdir(mounted), '--mounted %s is not a directory' % q(mounted))
        return run_on(job, mounted, result)
    mount(job.mount)
    try:
        return run_on(job, MOUNTPOINT, result)
    finally:
        umount()


def prepare(job, scratch=None):
    """What comes before the file system: every chunk checked, so a bad one fails the job before anything is written,
    and the scratch folders of killed runs removed from `scratch` (parts_root() unless given)."""
    log('efsync agent: run %s, %d target(s), file system %s' % (job.run_id, len(job.targets), job.file_system_id))
    for spec in job.targets:
        spec.check_chunks()
    clear_stale_scratch(scratch)


def run_on(job, path, result):
    """Runs the targets on the file system at `path`, its root held open: nothing after this resolves `path` again."""
    root = Dir.open(path)
    try:
        return run_targets(job, root, result)
    finally:
        root.close()


def report(result, job, started):
    """Prints the result as the last line, then uploads it and the whole log, if the job says where."""
    if result.error is not None:
        result.error = redact(' '.join(result.error.split()))
        log('error: ' + result.error)
    result.seconds = round(time.monotonic() - started, 1)
    # ru_maxrss is in KiB on Linux (getrusage(2)): the agent's peak memory, which a job in chunks keeps bounded.
    log('peak memory of the agent: %s' % human(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024))
    log.raw('EFSYNC_RESULT ' + json.dumps(result.to_json(), separators=(',', ':')))
    if job and job.result_url:
        put(job.result_url, json.dumps(result.to_json()).encode(), 'application/json', 'result')
    if job and job.log_url:
        put(job.log_url, log.text(log.snapshot()), 'text/plain', 'log')


def main(argv):
    started, args = time.monotonic(), parse_args(argv)
    os.umask(0o022)
    # A release holds each of its folders open while it is built (Release): take the whole hard limit of open files.
    # systemd (v240 on) starts services with 1024 soft and 524288 hard (systemd-system.conf(5), DefaultLimitNOFILE), and
    # a process may raise its soft limit up to the hard one (getrlimit(2)).
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 1 << 20), hard))
        except (ValueError, OSError):
            pass
    for s in SIGNALS:
        signal.signal(s, on_signal)
    result, job, shipper = AgentResult(), None, None
    try:
        job = load_job(args.job, result)
        shipper = LogShipper(job.log_url).start() if job.log_url else None
        code = carry_out(job, args.mounted, result)
    except Interrupted as e:
        code = result.fail(EXIT['error'], 'interrupted by %s' % e)
    except Failure as e:
        code = result.fail(e.code, str(e))
    except Exception as e:  # a bug or an unexpected OS error still yields a result, and the log has the traceback
        for line in traceback.format_exc().splitlines():
            log(line)
        code = result.fail(EXIT['error'], '%s: %s' % (type(e).__name__, e))
    for s in SIGNALS:  # from here on a signal only stops transfers: the result must get out
        signal.signal(s, lambda *_: STOP.set())
    if shipper:
        shipper.stop()
    report(result, job, started)
    return code
