#!/usr/bin/env python3
"""efsync agent: carries out one job (JobManifest, src/core/protocol.ts) on an EFS file system.

Runs on the short-lived Amazon Linux 2023 instance under SSM Run Command, as root, with the system python3 (3.9)
and nothing but the standard library. Usage: python3 efsync_agent.py JOB.json [--mounted DIR]

Layout per target <parent>/<name> (DESIGN.md, "Layout on EFS: atomic releases"):
  <parent>/<name>                       relative symlink -> .<name>.efsync/<release-id>
  <parent>/.<name>.efsync/<id>/         one complete release: exactly what the source holds
  <parent>/.<name>.efsync/<id>.json     its tree {files, dirs}; each file says how its content was verified
  <parent>/.<name>.efsync/history.json  release ids in publish order, oldest first
The last line printed is `EFSYNC_RESULT <AgentResult JSON>`; the exit code is one of EXIT.
"""
from __future__ import annotations

import argparse
import collections
import concurrent.futures as cf
import dataclasses
import datetime
import errno
import fcntl
import functools
import hashlib
import http.client
import io
import ipaddress
import json
import os
import random
import re
import resource
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
import traceback
import urllib.error
import urllib.request
import zlib
from dataclasses import dataclass, field
from typing import Dict, List, NamedTuple, Optional, Sequence

EXIT = {'ok': 0, 'error': 1, 'baseMismatch': 3, 'lockTimeout': 4, 'mountFailed': 5, 'downloadFailed': 6}
MOUNTPOINT = '/mnt/efsync'
# The log is uploaded every SHIP_EVERY s and the action reads it every second: a progress line every PROGRESS_EVERY s
# reaches the runner's log at most 5 s after the one before.
SHIP_EVERY = 1.0
PROGRESS_EVERY = 3.0
CHUNK = 1 << 20
# The most a job chunk may hold (JobChunk, src/core/protocol.ts): the action makes them far smaller (JOB_CHUNK_FILES,
# JOB_CHUNK_BYTES in src/stage/job.ts), and the agent's memory stays bounded whatever a job says.
CHUNK_MAX_FILES = 10000
CHUNK_MAX_BYTES = 32 << 20
ATTEMPTS = 5
# Connection failures (no route to S3 drops packets: each attempt waits out its timeout) end the retries once this
# many seconds have passed since the first attempt, whatever ATTEMPTS says.
CONNECT_BUDGET = 60.0
MOUNT_BUDGET = 30.0
# EFS User Guide, "Mounting on Amazon EC2 with a DNS name": the options AWS recommends for NFSv4.1.
NFS_OPTIONS = 'nfsvers=4.1,rsize=1048576,wsize=1048576,hard,timeo=600,retrans=2,noresvport'
RELEASE_ID = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$')
HEX = re.compile(r'^[0-9a-f]+$')
# Presigned URLs are secrets. Whatever a line holds (an exception text quoting a URL, say), these never get out.
URL = re.compile(r'[A-Za-z][A-Za-z0-9+.-]*://\S+')
SIGNED = re.compile(r'((?:X-Amz-)?(?:Signature|Credential|Security-Token)|AWSAccessKeyId)=[^&\s\'"]+', re.I)
# Set on SIGTERM/SIGINT or on the first failure of a build: download and copy threads stop at their next chunk.
STOP = threading.Event()
SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Failure(Exception):
    """An expected failure; its message becomes the one-line error of the result."""

    def __init__(self, message, code=EXIT['error']):
        super().__init__(message)
        self.code = code


class Interrupted(BaseException):
    """Raised in the main thread by SIGTERM/SIGINT; a BaseException, so no retry loop swallows it."""


def q(text):
    """A path for a message: odd names (newlines, quotes) stay on one line and unambiguous."""
    return json.dumps(text, ensure_ascii=False)


def redact(text):
    return SIGNED.sub(r'\1=***', URL.sub('<url>', text))


def utc(fmt='%Y-%m-%dT%H:%M:%SZ'):
    return datetime.datetime.now(datetime.timezone.utc).strftime(fmt)


def human(n):
    for unit in ('B', 'KiB', 'MiB', 'GiB'):
        if abs(n) < 1024 or unit == 'GiB':
            return ('%d %s' if unit == 'B' else '%.1f %s') % (n, unit)
        n /= 1024.0


class Log:
    """Timestamped lines to stdout, flushed at once (SSM shows output as it comes), and kept for the log upload."""

    def __init__(self):
        self.lines, self.lock = [], threading.Lock()

    def __call__(self, message):
        self.raw('%s %s' % (utc(), message))

    def raw(self, line):
        line = redact(line)
        with self.lock:
            self.lines.append(line)
            print(line, flush=True)

    def snapshot(self):
        with self.lock:
            return list(self.lines)

    @staticmethod
    def text(lines):
        return ('\n'.join(lines) + '\n').encode('utf-8', 'replace')


log = Log()


class Progress:
    """Bytes transferred for one target; says so every PROGRESS_EVERY seconds, so only big transfers say anything."""

    def __init__(self, total):
        self.total, self.done, self.lock = total, 0, threading.Lock()
        self.start = self.last = time.monotonic()

    def add(self, n):
        with self.lock:
            self.done += n
            now = time.monotonic()
            if now - self.last < PROGRESS_EVERY:
                return
            self.last, done = now, self.done
        rate = done / max(now - self.start, 0.001)
        eta = (self.total - done) / rate if rate > 0 else 0
        log('progress: %s of %s, %s/s, about %d s left' % (human(done), human(self.total), human(rate), eta))


# --- The job: checked completely before anything is written, so a bad target never leaves others half done. ---


def rel_parts(path, what):
    """The parts of a relative POSIX path; refuses absolute paths and empty, '.' or '..' parts."""
    if not isinstance(path, str) or not path or path.startswith('/') or '\0' in path:
        raise Failure('refusing %s path %s: not a relative path' % (what, q(path)))
    parts = path.split('/')
    if any(p in ('', '.', '..') for p in parts):
        raise Failure('refusing %s path %s: empty, "." or ".." part' % (what, q(path)))
    return parts


def need(ok, message):
    if not ok:
        raise Failure(message)


def is_int(value, low=0):
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


def is_id(value):  # a release id names a directory beside history.json
    return isinstance(value, str) and RELEASE_ID.match(value) is not None and value != 'history'


def is_url(url):
    return isinstance(url, str) and re.match(r'^https?://', url) is not None  # never file:// and the like


def camel(name):
    head, *rest = name.split('_')
    return head + ''.join(word.capitalize() for word in rest)


def wire(record, omit=()):
    """A record as its JSON object: the contract's camelCase keys (src/core/protocol.ts), in field order."""
    return {camel(f.name): getattr(record, f.name) for f in dataclasses.fields(record) if f.name not in omit}


FS_ID = re.compile(r'^fs-[0-9a-f]{8,40}$')
ACCESS_POINT_ID = re.compile(r'^fsap-[0-9a-f]{8,40}$')
HOST_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$')


@dataclass
class MountSpec:
    """How to mount the file system (src/core/protocol.ts MountSpec); every value ends up an argument of mount(8)."""
    file_system_id: str
    dns_name: str
    iam: bool
    plain_nfs_allowed: bool
    reason: str
    mount_target_ip: Optional[str] = None
    access_point_id: Optional[str] = None
    mount_target_ips: Dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_json(cls, raw) -> MountSpec:
        fs_id, dns, ip, ap = (raw.get(k) for k in ('fileSystemId', 'dnsName', 'mountTargetIp', 'accessPointId'))
        need(isinstance(fs_id, str) and FS_ID.match(fs_id), 'invalid mount fileSystemId %s' % q(fs_id))
        need(isinstance(dns, str) and HOST_NAME.match(dns), 'invalid mount dnsName %s' % q(dns))
        need(ip is None or (isinstance(ip, str) and is_ip(ip)), 'invalid mount mountTargetIp %s' % q(ip))
        need(ap is None or (isinstance(ap, str) and ACCESS_POINT_ID.match(ap)), 'invalid mount accessPointId %s' % q(ap))
        for key in ('iam', 'plainNfsAllowed'):
            need(isinstance(raw.get(key), bool), 'invalid mount %s %s' % (key, q(raw.get(key))))
        need(isinstance(raw.get('reason'), str), 'invalid mount reason')
        ips = raw.get('mountTargetIps') or {}
        need(isinstance(ips, dict) and all(isinstance(z, str) and AZ_NAME.match(z) and isinstance(a, str) and is_ip(a)
                                           for z, a in ips.items()), 'invalid mount mountTargetIps %s' % q(ips))
        return cls(fs_id, dns, raw['iam'], raw['plainNfsAllowed'], raw['reason'], ip, ap, dict(ips))


AZ_NAME = re.compile(r'^[a-z]{2}(-[a-z0-9]+)+-[0-9]+[a-z]$')
IMDS = 'http://169.254.169.254/latest/'


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


def is_ip(text):
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


@dataclass
class StagedPart:
    name: str
    url: str
    size: int
    sha256: str

    @classmethod
    def from_json(cls, raw, known) -> StagedPart:
        need(isinstance(raw.get('name'), str) and raw['name'] not in known,
             'invalid staged part %s' % q(raw.get('name')))
        need(is_int(raw.get('size')) and isinstance(raw.get('sha256'), str) and is_url(raw.get('url')),
             'staged part %s needs a size, a sha256 and an http(s) URL' % q(raw['name']))
        return cls(raw['name'], raw['url'], raw['size'], raw['sha256'])


@dataclass
class DirEntry:
    path: str
    mode: int

    @classmethod
    def from_json(cls, raw) -> DirEntry:
        rel_parts(raw.get('path'), 'directory')
        need(is_int(raw.get('mode')), 'directory %s: invalid mode' % q(raw['path']))
        return cls(raw['path'], raw['mode'])

    def to_json(self):
        return wire(self)


@dataclass
class FileSource:
    """Where a file of the new release comes from; `kind` is the wire's `from`."""
    kind: str  # 'base' (a link into the base release) | 'part' (a member of a staged part) | 'url'
    part: Optional[str] = None
    member: Optional[str] = None
    url: Optional[str] = None
    verify: Optional[str] = None  # url files: an algorithm of DIGEST_BYTES, or 'size' (src/plan/s3-objects.ts)
    digest: Optional[str] = None  # lowercase hex, for every verify but 'size'

    @classmethod
    def from_json(cls, raw, what, has_base, parts) -> FileSource:
        kind = raw.get('from')
        need(kind in ('base', 'part', 'url'), '%s: invalid source' % what)
        need(kind != 'base' or has_base, '%s: from the base release, but there is none' % what)
        need(kind != 'part' or (raw.get('part') in parts and isinstance(raw.get('member'), str)),
             '%s: unknown part %s' % (what, q(raw.get('part'))))
        need(kind != 'url' or is_url(raw.get('url')), '%s has no http(s) URL' % what)
        verify, digest = raw.get('verify'), raw.get('digest')
        if kind == 'url':
            need(verify == 'size' or verify in DIGEST_BYTES, '%s: unknown verify %s' % (what, q(verify)))
            need(verify == 'size' or (isinstance(digest, str) and HEX.match(digest) is not None
                                      and len(digest) == 2 * DIGEST_BYTES[verify]),
                 '%s: verify %s needs a hex digest of %d bytes' % (what, verify, DIGEST_BYTES.get(verify, 0)))
        return cls(kind, raw.get('part'), raw.get('member'), raw.get('url'), verify,
                   digest if verify != 'size' else None)


@dataclass
class ReleaseFile:
    path: str
    size: int
    mode: int
    source: FileSource
    sha256: Optional[str] = None  # always for files from parts; checked when given
    etag: Optional[str] = None  # for url files: kept in the tree; the source's verify says how they are checked
    # Written into the release's tree: how the content was verified when it was written (verified_by), or, for a
    # link of the base release, what the base release's tree says (BaseVerified); None when nothing says.
    verified: Optional[str] = None

    @classmethod
    def from_json(cls, raw, *, target, taken, has_base, parts) -> ReleaseFile:
        """`taken`: the paths of the target's directories and of its files so far; this one joins them."""
        path = raw.get('path')
        rel_parts(path, 'file')
        what = 'target %s: file %s' % (q(target), q(path))
        need(path not in taken, '%s is listed twice or also as a directory' % what)
        taken.add(path)
        need(is_int(raw.get('size')) and is_int(raw.get('mode')), '%s: invalid size or mode' % what)
        source = FileSource.from_json(raw.get('source') or {}, what, has_base, parts)
        return cls(path, raw['size'], raw['mode'], source, raw.get('sha256'), raw.get('etag'))

    def to_json(self):
        """The file's entry in the release's tree: a FileEntry, without its source."""
        return wire(self, {'source'} | {k for k in ('sha256', 'etag', 'verified') if getattr(self, k) is None})


@dataclass
class JobChunk:
    """A bounded run of a target's files, kept out of the job (JobChunk, src/core/protocol.ts): one ReleaseFile JSON a
    line, fetched by presigned GET and checked by its sha256, which the job holds, so the job's own sha256 covers
    every chunk. Fetched twice, one at a time: when the job is checked, and again when its files are written."""
    url: str
    size: int
    sha256: str
    files: int
    # From the check: the staged parts its files come from, and the bytes of its url files.
    parts: frozenset = frozenset()
    url_bytes: int = 0

    @classmethod
    def from_json(cls, raw, what) -> JobChunk:
        need(isinstance(raw, dict) and is_url(raw.get('url')) and is_int(raw.get('size'))
             and raw['size'] <= CHUNK_MAX_BYTES and isinstance(raw.get('sha256'), str)
             and HEX.match(raw['sha256']) is not None and len(raw['sha256']) == 64
             and is_int(raw.get('files'), 1) and raw['files'] <= CHUNK_MAX_FILES,
             '%s needs an http(s) URL, a size of at most %d bytes, a sha256 and 1 to %d files'
             % (what, CHUNK_MAX_BYTES, CHUNK_MAX_FILES))
        return cls(raw['url'], raw['size'], raw['sha256'], raw['files'])


@dataclass
class TargetJob:
    target: str
    action: str  # 'sync' | 'rollback'
    release_id: str
    base_release_id: Optional[str] = None
    dirs: List[DirEntry] = field(default_factory=list)
    files: List[ReleaseFile] = field(default_factory=list)  # in the job itself; the chunks hold the rest
    deleted: Sequence[str] = ()  # only counted, for the log and the result
    chunks: List[JobChunk] = field(default_factory=list)
    parts: Dict[str, StagedPart] = field(default_factory=dict)  # the job's, which the files may name

    @classmethod
    def from_json(cls, raw, parts, seen) -> TargetJob:
        """`seen`: the targets before this one, which it must neither repeat nor nest in; it joins them."""
        name = raw.get('target')
        rel_parts(name, 'target')
        need(not any(name == s or name.startswith(s + '/') or s.startswith(name + '/') for s in seen),
             'target %s is listed twice or nested in another target of the job' % q(name))
        seen.add(name)
        need(raw.get('action') in ('sync', 'rollback'),
             'target %s: invalid action %s' % (q(name), q(raw.get('action'))))
        if raw['action'] == 'rollback':  # serves an older release again: nothing else of the entry is used
            return cls(name, 'rollback', raw.get('releaseId') or '')
        need(is_id(raw.get('releaseId')), 'invalid releaseId %s' % q(raw.get('releaseId')))
        base = raw.get('baseReleaseId')
        need(base is None or is_id(base), 'invalid baseReleaseId %s' % q(base))
        dirs = [DirEntry.from_json(d) for d in raw.get('dirs') or []]
        taken = {d.path for d in dirs}
        files = [ReleaseFile.from_json(f, target=name, taken=taken, has_base=base is not None, parts=parts)
                 for f in raw.get('files') or []]
        need(isinstance(raw.get('chunks') or [], list), 'target %s: invalid chunks' % q(name))
        chunks = [JobChunk.from_json(c, 'target %s: chunk %d' % (q(name), i + 1))
                  for i, c in enumerate(raw.get('chunks') or [])]
        return cls(name, 'sync', raw['releaseId'], base, dirs, files, raw.get('deleted') or [], chunks, parts)

    def entries(self, chunk, number, taken):
        """The files of one chunk, fetched now (into memory: a chunk is bounded) and checked line by line."""
        what = 'chunk %d of the job for target %s' % (number, q(self.target))
        buffer = io.BytesIO()
        sink = Sink(buffer)
        download(chunk.url, what, sink, chunk.size)
        need(sink.sha256.hexdigest() == chunk.sha256, '%s does not match its sha256 in the job' % what)
        buffer.seek(0)
        files = []
        for line in buffer:
            try:
                raw = json.loads(line)
            except ValueError as e:
                raise Failure('%s: line %d is not JSON: %s' % (what, len(files) + 1, e))
            need(isinstance(raw, dict), '%s: line %d is not a file entry' % (what, len(files) + 1))
            files.append(ReleaseFile.from_json(raw, target=self.target, taken=taken,
                                               has_base=self.base_release_id is not None, parts=self.parts))
        need(len(files) == chunk.files, '%s holds %d files, the job says %d' % (what, len(files), chunk.files))
        return files

    def check_chunks(self):
        """Fetches and checks every chunk before anything is written, as the job itself is: each file once, in the
        target, with a valid source. Keeps only what the build needs to know beforehand: each chunk's parts and url
        bytes. Memory holds the target's paths and one chunk at a time."""
        if not self.chunks:
            return
        taken = {d.path for d in self.dirs} | {f.path for f in self.files}
        for number, chunk in enumerate(self.chunks, 1):
            files = self.entries(chunk, number, taken)
            chunk.parts = frozenset(f.source.part for f in files if f.source.kind == 'part')
            chunk.url_bytes = sum(f.size for f in files if f.source.kind == 'url')
        log('checked the %d chunk(s) of the job for target %s: %d files'
            % (len(self.chunks), q(self.target), self.file_count()))

    def file_count(self):
        return len(self.files) + sum(c.files for c in self.chunks)

    def batches(self):
        """The files in the order they are written: the job's own, then each chunk's, fetched again as its turn
        comes; with the staged parts each batch takes files from."""
        if self.files:
            yield self.files, frozenset(f.source.part for f in self.files if f.source.kind == 'part')
        for number, chunk in enumerate(self.chunks, 1):
            yield self.entries(chunk, number, set()), chunk.parts

    def batch_parts(self):
        """The staged parts of each batch, in batches() order, without fetching anything."""
        head = [frozenset(f.source.part for f in self.files if f.source.kind == 'part')] if self.files else []
        return head + [c.parts for c in self.chunks]

    def url_bytes(self):
        return sum(f.size for f in self.files if f.source.kind == 'url') + sum(c.url_bytes for c in self.chunks)


@dataclass
class JobManifest:
    run_id: Optional[str]
    file_system_id: Optional[str]
    mount: MountSpec
    lock_timeout_seconds: float
    keep_releases: int
    concurrency: int
    parts: Dict[str, StagedPart]  # by name, in the job's order
    targets: List[TargetJob]
    log_url: Optional[str] = None
    result_url: Optional[str] = None

    @classmethod
    def from_json(cls, job) -> JobManifest:
        need(isinstance(job, dict) and job.get('version') == 1, 'the job manifest is not version 1')
        mount = MountSpec.from_json(job.get('mount') or {})
        need(isinstance(job.get('lockTimeoutSeconds'), (int, float)) and job['lockTimeoutSeconds'] >= 0,
             'invalid lockTimeoutSeconds')
        need(is_int(job.get('keepReleases'), 1) and is_int(job.get('concurrency'), 1),
             'invalid keepReleases/concurrency')
        parts = {}
        for raw in job.get('parts') or []:
            part = StagedPart.from_json(raw, parts)
            parts[part.name] = part
        need(job.get('targets'), 'the job has no targets')
        seen = set()
        targets = [TargetJob.from_json(t, parts, seen) for t in job['targets']]
        return cls(job.get('runId'), job.get('fileSystemId'), mount, job['lockTimeoutSeconds'], job['keepReleases'],
                   job['concurrency'], parts, targets, job.get('logUrl'), job.get('resultUrl'))


def load_job(path, result=None):
    """Reads the job; `result` gets its runId and the sha256 of the bytes read, which the action checks the result by."""
    try:
        with open(path, 'rb') as f:
            data = f.read()
        raw = json.loads(data.decode('utf-8'))
    except (OSError, ValueError) as e:
        raise Failure('cannot read the job manifest %s: %s' % (q(path), e))
    if result is not None:
        result.job_sha256 = hashlib.sha256(data).hexdigest()
        result.run_id = raw.get('runId') if isinstance(raw, dict) and isinstance(raw.get('runId'), str) else None
    return JobManifest.from_json(raw)


# --- Results: what the agent reports (AgentResult, TargetResult in src/core/protocol.ts). ---


class Done(NamedTuple):
    """What one task added to a release."""
    files_written: int = 0
    bytes_written: int = 0
    files_linked: int = 0


@dataclass
class TargetResult:
    target: str
    status: str  # 'failed' until the target is done: a failure still reports what was done
    release_id: str
    previous_release_id: Optional[str] = None
    files_written: int = 0
    bytes_written: int = 0
    files_linked: int = 0
    files_deleted: int = 0
    releases_pruned: List[str] = field(default_factory=list)
    actual_release_id: Optional[str] = None  # what a base-mismatch target serves (None: nothing)
    tree: Optional[dict] = None  # what a rolled-back target serves now

    # Keys on the wire only with their status: actualReleaseId can be null, and is there all the same.
    ONLY_WITH = {'actual_release_id': 'base-mismatch', 'tree': 'rolled-back'}

    def count(self, done):
        self.files_written += done.files_written
        self.bytes_written += done.bytes_written
        self.files_linked += done.files_linked

    def to_json(self):
        return wire(self, {key for key, status in self.ONLY_WITH.items() if status != self.status})


@dataclass
class AgentResult:
    version: int = 1
    run_id: Optional[str] = None  # the job's runId: the action refuses a result of another run
    job_sha256: Optional[str] = None  # sha256 of the job file read: the action refuses a result of another job
    status: str = 'ok'  # 'ok' | 'base-mismatch' | 'error'
    targets: List[TargetResult] = field(default_factory=list)
    seconds: float = 0
    error: Optional[str] = None  # one line, for the step's error message

    def fail(self, code, message):
        self.status, self.error = 'error', message
        return code

    def to_json(self):
        out = wire(self, () if self.error is not None else ('error',))
        out['targets'] = [t.to_json() for t in self.targets]
        return out


# --- Mount and lock. ---


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
    os.makedirs(MOUNTPOINT, exist_ok=True)
    if os.path.ismount(MOUNTPOINT):
        log('%s is mounted already (an earlier run?): unmounting it first' % MOUNTPOINT)
        umount()
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


def umount():
    for command in (['umount', MOUNTPOINT], ['umount', '-l', MOUNTPOINT]):
        ok, out = run_quiet(command, 60)
        if ok:
            log('unmounted %s' % MOUNTPOINT)
            return
        log('%s: %s' % (' '.join(command), out))


def take_lock(root, job):
    """An exclusive POSIX lock on <root>/.efsync.lock (lockf works over NFSv4); the file says who holds it."""
    try:
        fd = os.open(os.path.join(root, '.efsync.lock'), os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        if e.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise
        # EFS User Guide, "Using IAM to control access to file systems": ClientMount alone is read-only access, and
        # without ClientRootAccess root is squashed.
        raise Failure('the file system refuses writes by root (%s): without elasticfilesystem:ClientWrite EFS gives '
                      'read-only access, and without ClientRootAccess it squashes root. Grant both to the instance '
                      'role on the file system (infra/efsync.yaml does)' % e.strerror, EXIT['error'])
    deadline, said = time.monotonic() + job.lock_timeout_seconds, 0.0
    try:
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


# --- Files: each is written to a new temp file, verified, then renamed; nothing is written through a hard link. ---


def rmtree(path):
    def unlock(func, p, _exc):  # a directory of a release may lack write permission (its mode from the source)
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
    """A file being written: counts and hashes what goes in; reset() starts over for a retry. With `full`, a disk that
    fills up raises Failure(full()) at once: no retry of a download makes room."""

    def __init__(self, f, full=None, verify=None):
        self.f, self.full, self.verify = f, full, verify
        self.reset()

    def reset(self):
        self.f.seek(0)
        self.f.truncate()
        # MD5 only for a file it verifies: every byte hashed costs CPU that a fast network needs for the transfer.
        self.size, self.sha256 = 0, hashlib.sha256()
        self.md5 = hashlib.md5(usedforsecurity=False) if self.verify == 'md5' else None
        # A third digest only when the file is verified by one that is neither of these.
        self.check = HASHERS[self.verify]() if self.verify in HASHERS else None

    def write(self, chunk):
        if STOP.is_set():
            raise Failure('stopped')
        try:
            self.f.write(chunk)
        except OSError as e:
            if self.full and e.errno in (errno.ENOSPC, errno.EDQUOT):
                raise Failure(self.full())
            raise
        self.size += len(chunk)
        self.sha256.update(chunk)
        if self.md5:
            self.md5.update(chunk)
        if self.check:
            self.check.update(chunk)

    def hexdigest(self, verify):
        return {'sha256': self.sha256, 'md5': self.md5}.get(verify, self.check).hexdigest()


def copy(read, sink, length=-1, progress=None):
    """Moves bytes from read(n) to sink a chunk at a time: to the end, or `length` bytes."""
    while length:
        chunk = read(CHUNK if length < 0 else min(CHUNK, length))
        if not chunk:
            break
        sink.write(chunk)
        if progress:
            progress.add(len(chunk))
        length -= len(chunk) if length > 0 else 0


class Release:
    """A release directory: resolves paths inside it, and refuses any that would lead out of it."""

    def __init__(self, root):
        self.root, self.real, self.checked = root, os.path.realpath(root), {}

    def path(self, rel, what='file'):
        parts = rel_parts(rel, what)
        folder = os.path.join(self.root, *parts[:-1])
        if folder not in self.checked:
            # Defence in depth: the folder must resolve to the very directory named, so no symlink can lead a
            # write, or the source of a hard link, out of the release.
            self.checked[folder] = os.path.realpath(folder) == os.path.join(self.real, *parts[:-1])
        if not self.checked[folder]:
            raise Failure('refusing %s path %s: it resolves outside the release' % (what, q(rel)))
        return os.path.join(folder, parts[-1])


def write_file(release, entry, fill, origin, code):
    """Writes one file of the new release with fill(sink), verifies it, sets its mode, renames it into place."""
    dest = release.path(entry.path)
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    tmp = os.path.join(os.path.dirname(dest), '.efsync-tmp-' + os.urandom(8).hex())
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, 'wb') as f:
            sink = Sink(f, verify=entry.source.verify)
            fill(sink)
        problem = mismatch(entry, sink)
        if problem:
            raise Failure('file %s from %s does not verify: %s' % (q(entry.path), origin, problem), code)
        os.chmod(tmp, entry.mode & 0o777)
        os.rename(tmp, dest)
        entry.verified = verified_by(entry)
    except BaseException:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        raise
    return Done(1, sink.size, 0)


def verified_by(entry):
    """The strongest check mismatch() made of a written file: its sha256 when the plan gives one, else the url source's
    verify (a digest of DIGEST_BYTES, or 'size'), else its size alone."""
    if entry.sha256 is not None:
        return 'sha256'
    return entry.source.verify or 'size'


class BaseVerified:
    """How each file of the base release was verified, read from the base release's tree alongside the new release's
    files. The agent writes a tree one file a line, in the job's order, which is the plan's path order, and the new
    release lists its files in that order too (job files, then chunks): one pass over the base tree, one entry in memory at a time. A tree
    in another layout (a legacy release has none) says nothing, and neither does a path the pass has gone by."""

    def __init__(self, path):
        try:
            self.f = open(path, encoding='utf-8') if path else None
        except OSError:
            self.f = None
        self.entry = None
        self.advance()

    def advance(self):
        self.entry = None
        while self.f is not None:
            line = self.f.readline()
            if not line or line.startswith(']'):
                self.close()
                return
            try:
                raw = json.loads(line.strip().rstrip(','))
            except ValueError:
                continue
            if isinstance(raw, dict) and isinstance(raw.get('path'), str):
                self.entry = (raw['path'], raw.get('verified'))
                return

    def lookup(self, path):
        # The plan sorts paths as JavaScript compares strings, by UTF-16 code units (src/plan/tree.ts, comparePaths).
        key = path.encode('utf-16-be')
        while self.entry is not None and self.entry[0].encode('utf-16-be') < key:
            self.advance()
        if self.entry is not None and self.entry[0] == path:
            return self.entry[1] if isinstance(self.entry[1], str) else None
        return None

    def close(self):
        if self.f is not None:
            self.f.close()
            self.f = None


def mismatch(entry, sink):
    """How what was written differs from what the plan says (size, sha256, the url source's digest); None if it does
    not. A url file's ETag is not checked as such: the source's verify says whether it is an MD5."""
    sha = sink.sha256.hexdigest()
    if sink.size != entry.size:
        return 'size %d, expected %d' % (sink.size, entry.size)
    if entry.sha256 is not None and entry.sha256.lower() != sha:
        return 'sha256 %s, expected %s' % (sha, entry.sha256)
    verify = entry.source.verify
    if verify not in (None, 'size'):
        got = sink.hexdigest(verify)
        if got != entry.source.digest:
            what = 'the ETag' if verify == 'md5' and entry.etag == entry.source.digest else "S3's checksum"
            return '%s %s, expected %s %s' % (verify.upper(), got, what, entry.source.digest)
    return None


class Crc:
    """A reflected CRC (the RevEng catalogue's parameters), table-driven in pure Python: S3's CRC32C and CRC64NVME,
    which the standard library lacks. Slow (about 10 MB/s): the plan prefers any other digest S3 offers."""

    def __init__(self, table, width):
        self.table, self.mask, self.width, self.crc = table, (1 << width) - 1, width, (1 << width) - 1

    @staticmethod
    def table(poly, width):
        out = []
        for n in range(256):
            c = n
            for _ in range(8):
                c = (c >> 1) ^ poly if c & 1 else c >> 1
            out.append(c)
        return out

    def update(self, data):
        crc, table = self.crc, self.table
        for b in data:
            crc = table[(crc ^ b) & 0xff] ^ (crc >> 8)
        self.crc = crc

    def hexdigest(self):
        return '%0*x' % (self.width // 4, self.crc ^ self.mask)


class Crc32:
    """CRC-32 (ISO-HDLC), as S3's ChecksumCRC32: zlib's."""

    def __init__(self):
        self.crc = 0

    def update(self, data):
        self.crc = zlib.crc32(data, self.crc)

    def hexdigest(self):
        return '%08x' % self.crc


# CRC-32C (Castagnoli, reflected poly 0x82f63b78, check 0xe3069283) and CRC-64/NVME (reflected poly
# 0x9a6c9329ac4bc9b5, check 0xae8b14860a799888), as https://reveng.sourceforge.io/crc-catalogue/ lists them.
CRC32C_TABLE = Crc.table(0x82F63B78, 32)
CRC64NVME_TABLE = Crc.table(0x9A6C9329AC4BC9B5, 64)
HASHERS = {
    'sha512': hashlib.sha512,
    'sha1': lambda: hashlib.sha1(usedforsecurity=False),
    'crc32': Crc32,
    'crc32c': lambda: Crc(CRC32C_TABLE, 32),
    'crc64nvme': lambda: Crc(CRC64NVME_TABLE, 64),
}
DIGEST_BYTES = {'md5': 16, 'sha256': 32, 'sha512': 64, 'sha1': 20, 'crc32': 4, 'crc32c': 4, 'crc64nvme': 8}


# --- HTTP: presigned GETs and PUTs, retried. Messages name what is transferred, never the URL (it is a secret). ---


class TryAgain(Exception):
    """An attempt that went wrong in a way the next one may not (a body cut short, say)."""


class HttpFailed(Exception):
    """A request given up on. why: how the last attempt failed, on one line; kind: 'invalid-url', 'refused' (an
    answer no retry changes: a 4xx but 408 and 429), 'unreachable' (the last attempt could not connect: every attempt
    failed, or CONNECT_BUDGET passed) or 'exhausted' (every attempt failed otherwise)."""

    def __init__(self, kind, why, attempts, status=None, seconds=0.0):
        super().__init__(why)
        self.kind, self.why, self.attempts, self.status, self.seconds = kind, why, attempts, status, seconds


def with_retries(attempt, attempts, pause, stop=None, failed=None):
    """Returns attempt() once it succeeds; raises HttpFailed when an attempt fails for good or `attempts` have failed.

    Waits pause, 2 * pause, 4 * pause... between attempts, plus a random up to pause / 2, so that parallel transfers
    that failed together do not retry in step. A set `stop` ends a wait with Failure('stopped'); without one the waits
    run to the end. Only Exceptions are caught: Interrupted (a BaseException) and Failure go straight through.
    failed(why, again) hears of each attempt that failed for a passing reason, and whether another follows.
    A URLError that is no HTTPError means the request could not connect or be sent (CPython's
    AbstractHTTPHandler.do_open wraps only those): no more attempts start CONNECT_BUDGET s after the first.
    """
    started = time.monotonic()
    for n in range(1, attempts + 1):
        unreachable = False
        try:
            return attempt()
        except (ValueError, http.client.InvalidURL) as e:
            raise HttpFailed('invalid-url', str(e), n)
        except urllib.error.HTTPError as e:
            why = 'HTTP %d %s' % (e.code, e.reason)
            if e.code < 500 and e.code not in (408, 429):
                raise HttpFailed('refused', why, n, e.code)
        except urllib.error.URLError as e:
            why, unreachable = str(e.reason) or type(e).__name__, True
        except (TryAgain, http.client.HTTPException, OSError) as e:
            why = str(getattr(e, 'reason', None) or e) or type(e).__name__
        seconds = time.monotonic() - started
        last = n == attempts or (unreachable and seconds >= CONNECT_BUDGET)
        if failed:
            failed(why, not last)
        if last:
            raise HttpFailed('unreachable' if unreachable else 'exhausted', why, n, seconds=seconds)
        delay = pause * 2 ** (n - 1) + random.uniform(0, pause / 2)
        if stop is None:
            time.sleep(delay)
        elif stop.wait(delay):
            raise Failure('stopped')


def download(url, name, sink, size, progress=None):
    """GETs url into sink; the log and the errors name `name`, never the URL."""
    def attempt():
        sink.reset()
        with urllib.request.urlopen(url, timeout=60) as response:
            length = response.headers.get('Content-Length') or ''
            if length.isdigit() and int(length) != size:
                raise Failure('%s is %s bytes, the plan says %d: it changed since the plan was made'
                              % (name, length, size), EXIT['downloadFailed'])
            copy(response.read1, sink, progress=progress)  # read1: what has arrived, so a stop is seen soon
        if sink.size != size:
            raise TryAgain('got %d bytes, expected %d' % (sink.size, size))

    def failed(why, again):
        if progress:
            progress.add(-sink.size)  # those bytes come again, or not at all
        if again:
            log('download of %s failed (%s); retrying' % (name, why))

    try:
        with_retries(attempt, ATTEMPTS, 0.5, STOP, failed)
    except HttpFailed as e:
        if e.kind == 'exhausted':
            why = ' after %d attempts: %s' % (e.attempts, e.why)
        elif e.kind == 'unreachable':
            why = (': cannot reach S3 (%s, %d attempts in %d s): the instance\'s subnet needs a route to S3 (an S3 '
                   'gateway endpoint on its route table, or a NAT gateway)' % (e.why, e.attempts, e.seconds))
        elif e.kind == 'invalid-url':
            why = ': invalid URL (%s)' % e.why
        else:
            # 403 is also S3's InvalidObjectState for an archived object (GetObject API reference); the plan refuses
            # those, but one can be archived after the plan.
            hint = {403: ' (the presigned URL expired, the object changed, or it is archived and not restored)',
                    404: ' (the object changed or was deleted since the plan)'}.get(e.status, '')
            why = ': %s%s' % (e.why, hint)
        raise Failure('cannot download %s%s' % (name, why), EXIT['downloadFailed'])


def upload(url, body, content_type, timeout=30):
    """One presigned PUT."""
    request = urllib.request.Request(url, data=body, method='PUT', headers={'Content-Type': content_type})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        response.read()


def put(url, body, content_type, what):
    """Uploads the log or the result by presigned PUT; a failure is logged, never fatal. It does not heed STOP: after
    a signal the result must still get out."""
    try:
        with_retries(lambda: upload(url, body, content_type), 4, 1.0)
    except HttpFailed as e:
        log('could not upload the %s: %s' % (what, e.why))


class LogShipper:
    """Uploads the log so far every SHIP_EVERY seconds while it grows, so that the action can print it while the agent
    runs: SSM shows a command's output only once the command has ended (GetCommandInvocation, StandardOutputContent:
    "If the command hasn't finished running ... this string is empty"). One attempt a round: a failed upload is
    carried by the next round, or by the final upload of the whole log."""

    def __init__(self, url):
        self.url, self.sent, self.done = url, 0, threading.Event()
        self.thread = threading.Thread(target=self.run, name='log-shipper', daemon=True)

    def start(self):
        self.thread.start()
        return self

    def run(self):
        while not self.done.wait(SHIP_EVERY):
            lines = log.snapshot()
            if len(lines) == self.sent:
                continue
            try:
                upload(self.url, log.text(lines), 'text/plain', timeout=10)
                self.sent = len(lines)
            except Exception:  # never fatal, never logged: the log is what it ships
                pass

    def stop(self):
        """Before the final upload, so that no older copy of the log can land after it."""
        self.done.set()
        self.thread.join(timeout=15)


# --- Staged parts. ---


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
    the same rule: src/run/job-manifest.ts, scratchBytes)."""

    def __init__(self, limit):
        # /tmp is a RAM-backed tmpfs on Amazon Linux 2023: parts, which can be big, go to /var/tmp unless told.
        tmp = os.environ.get('TMPDIR') or ('/var/tmp' if os.path.isdir('/var/tmp') else None)
        self.workdir = tempfile.mkdtemp(prefix='efsync-parts-', dir=tmp)
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


# --- Targets. ---


class Target:
    def __init__(self, root, name):
        parts = rel_parts(name, 'target')
        self.name, self.reldir = parts[-1], '.%s.efsync' % parts[-1]
        self.parent = os.path.join(root, *parts[:-1])
        self.link = os.path.join(self.parent, self.name)
        self.releases = os.path.join(self.parent, self.reldir)
        # The parent must not pass through a symlink: that would put this target inside another one's release.
        if os.path.realpath(self.parent) != os.path.join(os.path.realpath(root), *parts[:-1]):
            raise Failure('target %s: its parent resolves through a symlink (inside another target?)' % q(name))

    def current(self):
        """(release id or None, 'release' | 'dir' | None): what the target path is now."""
        if os.path.islink(self.link):
            text = os.readlink(self.link).rstrip('/')
            rid = text[len(self.reldir) + 1:] if text.startswith(self.reldir + '/') else ''
            if not RELEASE_ID.match(rid):
                raise Failure('target %s is a symlink to %s, not to an efsync release; move it away'
                              % (q(self.link), q(text)))
            return rid, 'release'
        if os.path.isdir(self.link):
            return None, 'dir'
        if os.path.lexists(self.link):
            raise Failure('target %s is a file, not a directory; move it away' % q(self.link))
        return None, None

    def history(self):
        path = os.path.join(self.releases, 'history.json')
        try:
            with open(path, encoding='utf-8') as f:
                ids = json.load(f)
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as e:
            raise Failure('cannot read %s: %s' % (q(path), e))
        # Well-formed ids only: they name the directories that pruning removes.
        return [i for i in ids if is_id(i)]

    def save_history(self, ids):
        write_json(os.path.join(self.releases, 'history.json'), ids)

    def switch(self, rid):
        """Points the target at a release atomically: a new symlink renamed over the old one."""
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
        # A legacy release has no manifest: walk it (no hashes, so the runner counts every file as changed).
        top, files, dirs = os.path.join(self.releases, rid), [], []
        for here, subdirs, names in os.walk(top):
            for n in subdirs + names:
                st = os.lstat(os.path.join(here, n))
                rel = os.path.relpath(os.path.join(here, n), top)
                if stat.S_ISDIR(st.st_mode):
                    dirs.append({'path': rel, 'mode': stat.S_IMODE(st.st_mode)})
                elif stat.S_ISREG(st.st_mode):
                    files.append({'path': rel, 'size': st.st_size, 'mode': stat.S_IMODE(st.st_mode)})
        return {'files': sorted(files, key=lambda f: f['path']), 'dirs': sorted(dirs, key=lambda d: d['path'])}


class TargetRun:
    """One target of the job. A sync builds the new release beside the served one, switches the target to it and
    prunes old releases; a rollback switches back to the release before. What is done goes into `result` as it
    happens, so that a failure still reports it."""

    def __init__(self, job, root, spec, parts, result, later=frozenset()):
        """`later`: the staged parts that later targets take files from, kept on disk for them."""
        self.job, self.spec, self.parts, self.result, self.later = job, spec, parts, result, later
        self.target = Target(root, spec.target)
        # Set by build(): the release being built, the served one (the base of a plan against it), its id, and the
        # progress of the downloads.
        self.release = self.base = self.current = self.progress = None

    def run(self):
        if self.spec.action == 'sync':
            self.sync()
        else:
            self.rollback()

    def sync(self):
        spec, target, result = self.spec, self.target, self.result
        current, kind = target.current()
        result.previous_release_id = current
        if current == spec.release_id:
            log('%s serves release %s already: nothing to do' % (q(target.link), spec.release_id))
            result.status = 'published'
            return
        if spec.base_release_id is not None and spec.base_release_id != current:
            log('%s serves %s, but the plan was made against %s: base mismatch, nothing written'
                % (q(target.link), current or ('a plain directory' if kind == 'dir' else 'nothing'),
                   spec.base_release_id))
            result.status, result.actual_release_id = 'base-mismatch', current
            return
        history = self.clean_up(current)
        self.publish(current, kind, history)
        self.record(history)

    def clean_up(self, current):
        """Removes what an interrupted run left behind; returns the history, completed if the run left it short."""
        target, rid = self.target, self.spec.release_id
        os.makedirs(target.releases, exist_ok=True)
        for n in os.listdir(target.releases):
            if n.startswith('.tmp-'):
                log('removing %s, left by an interrupted run' % q(n))
                rmtree(os.path.join(target.releases, n))
        history = target.history()
        if current and current not in history and os.path.isdir(os.path.join(target.releases, current)):
            history.append(current)  # served but not recorded: a run was killed between switch and history
        final = os.path.join(target.releases, rid)
        if os.path.lexists(final):
            need(rid not in history, 'release %s of %s exists already' % (rid, q(target.link)))
            log('removing release %s, left unfinished by an interrupted run' % rid)
            rmtree(final)
        return history

    def publish(self, current, kind, history):
        """Builds the release under a temporary name, renames it into place, and points the target at it."""
        target, rid = self.target, self.spec.release_id
        final = os.path.join(target.releases, rid)
        building = os.path.join(target.releases, '.tmp-' + rid)
        try:
            self.build(current, building)
            os.rename(building, final)
            building = final  # still removed on failure, until it is served
            if kind == 'dir':
                self.adopt_plain_directory(history)
            target.switch(rid)
            building = None
        finally:
            if building and os.path.lexists(building):
                rmtree(building)

    def adopt_plain_directory(self, history):
        # A plain directory (from efsync or by hand) becomes a release once, kept for rollback. It moves only now,
        # right before the switch, so the target path is missing for a moment at most.
        target = self.target
        legacy = 'legacy-' + utc('%Y%m%dT%H%M%SZ')
        while os.path.lexists(os.path.join(target.releases, legacy)):
            legacy += 'x'
        history.append(legacy)
        target.save_history(history)
        os.rename(target.link, os.path.join(target.releases, legacy))
        log('moved the plain directory %s aside as release %s' % (q(target.link), legacy))
        self.result.previous_release_id = legacy

    def record(self, history):
        """Adds the new release to the history, and removes the oldest ones beyond keepReleases."""
        target, result = self.target, self.result
        history.append(self.spec.release_id)
        keep = history[-self.job.keep_releases:]
        pruned = [i for i in history if i not in keep]
        target.save_history(keep)  # first, so history never names a half-removed release
        for old in pruned:
            rmtree(os.path.join(target.releases, old))
            rmtree(os.path.join(target.releases, old + '.json'))
        if pruned:
            log('pruned releases %s' % ', '.join(pruned))
        result.status, result.releases_pruned, result.files_deleted = 'published', pruned, len(self.spec.deleted)

    def build(self, current, building):
        """Builds the whole new release in `building`: links of unchanged files, parts and objects, in parallel, one
        batch of files at a time (the job's own, then each chunk's), so memory holds one batch, never every file."""
        spec, result, target = self.spec, self.result, self.target
        dirs = sorted(spec.dirs, key=lambda d: d.path)
        log('building release %s of %s: %d files, %d deleted'
            % (spec.release_id, q(target.link), spec.file_count(), len(spec.deleted)))
        os.mkdir(building, 0o755)
        self.release = Release(building)
        for d in dirs:
            os.makedirs(self.release.path(d.path, 'directory'), exist_ok=True)
        self.base = Release(os.path.join(target.releases, current)) if current else None
        self.current = current
        batch_parts = spec.batch_parts()
        fetch = {p for p in set().union(*batch_parts) if p not in self.parts}
        self.progress = Progress(spec.url_bytes() + sum(self.job.parts[p].size for p in fetch))
        # The release's tree is written as the batches go: a FileEntry a line, then the directories.
        tree = os.path.join(target.releases, '.tmp-%s.json' % spec.release_id)
        base_verified = BaseVerified(os.path.join(target.releases, current + '.json') if current else None)
        try:
            with open(tree, 'w', encoding='utf-8') as out:
                out.write('{"files": [')
                first = True
                for i, (files, _) in enumerate(spec.batches()):
                    self.parts.later = self.later.union(*batch_parts[i + 1:])
                    self.run_tasks(*self.plan_tasks(files))
                    for f in files:
                        if f.source.kind == 'base':  # a link, or a copy that only its mode changed
                            f.verified = base_verified.lookup(f.path) or f.verified
                        out.write(('\n' if first else ',\n') + json.dumps(f.to_json()))
                        first = False
                out.write('\n], "dirs": %s}\n' % json.dumps([d.to_json() for d in dirs]))
            for d in sorted(dirs, key=lambda d: -d.path.count('/')):  # last: a mode may forbid writing
                os.chmod(self.release.path(d.path, 'directory'), d.mode & 0o777)
            os.replace(tree, os.path.join(target.releases, spec.release_id + '.json'))
        finally:
            base_verified.close()
            if os.path.lexists(tree):
                os.unlink(tree)
        log('release %s built: %d files written (%s), %d linked'
            % (spec.release_id, result.files_written, human(result.bytes_written), result.files_linked))

    def plan_tasks(self, files):
        """One batch's work: callables to run at once, the files to take from each part by part name, and the parts
        to download (their files are written once each is here)."""
        by_part, tasks = {}, []
        for f in files:
            if f.source.kind == 'part':
                by_part.setdefault(f.source.part, []).append(f)
            elif f.source.kind == 'url':
                tasks.append(functools.partial(self.fetch_object, f))
            else:  # links too run in parallel: each is a few round trips to the file system
                tasks.append(functools.partial(self.keep, f))
        fetch = [p for p in self.job.parts.values() if p.name in by_part and p.name not in self.parts]
        return tasks, by_part, fetch

    def run_tasks(self, tasks, by_part, fetch):
        """Runs the tasks on `concurrency` threads. Parts download while the store has room (PartStore.room); a part,
        once here, adds the tasks that write its files, and is deleted when the last of them is done. The first
        failure stops the rest (STOP) and is raised."""
        parts, release = self.parts, self.release
        pool = cf.ThreadPoolExecutor(max_workers=min(self.job.concurrency, 64))
        waiting, left, pending = collections.deque(fetch), {}, {}  # left: part -> its write tasks not done yet

        def write_out(part):
            writes = part.tasks(release, by_part[part.name])
            left[part.name] = len(writes)
            pending.update((pool.submit(task), part.name) for task in writes)

        try:
            pending.update((pool.submit(task), None) for task in tasks)
            for name in by_part:
                if name in parts:  # downloaded for an earlier target
                    write_out(parts[name])
            while pending or waiting:
                while waiting and parts.room(idle=not pending):
                    spec = waiting.popleft()
                    parts.start(spec)
                    pending[pool.submit(parts.download, spec, self.progress)] = None
                done, _ = cf.wait(list(pending), return_when=cf.FIRST_COMPLETED)
                for fut in done:
                    name, value = pending.pop(fut), fut.result()
                    if isinstance(value, Part):
                        parts.add(value)
                        write_out(value)
                        continue
                    self.result.count(value)
                    if name is not None:
                        left[name] -= 1
                        if not left[name]:
                            del left[name]
                            parts.used(name)
        except BaseException:
            STOP.set()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def fetch_object(self, f):
        name = 'object ' + q(f.path)
        return write_file(self.release, f, lambda s: download(f.source.url, name, s, f.size, self.progress),
                          name, EXIT['downloadFailed'])

    def keep(self, f):
        """An unchanged file: a hard link of the same file in the base release, or a copy if its mode changed."""
        old = self.base.path(f.path)
        try:
            st = os.lstat(old)
        except FileNotFoundError:
            st = None
        if st is None or not stat.S_ISREG(st.st_mode) or st.st_size != f.size:
            raise Failure('file %s should be kept from release %s but is missing or changed there; publish '
                          'again with a full upload' % (q(f.path), self.current))
        if stat.S_IMODE(st.st_mode) != f.mode & 0o777:  # a chmod of a link would change the old release too
            def fill(sink):
                with open(old, 'rb') as r:
                    copy(r.read, sink)
            return write_file(self.release, f, fill, 'release ' + self.current, EXIT['error'])
        dest = self.release.path(f.path)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        os.link(old, dest, follow_symlinks=False)
        return Done(0, 0, 1)

    def rollback(self):
        target, result = self.target, self.result
        current, kind = target.current()
        need(kind == 'release', 'cannot roll back %s: it %s' % (
            q(target.link), 'is a plain directory, not an efsync release' if kind == 'dir' else 'has no release'))
        history = target.history()
        older = history[:history.index(current)] if current in history else history
        previous = next((r for r in reversed(older)
                         if r != current and os.path.isdir(os.path.join(target.releases, r))), None)
        need(previous, 'cannot roll back %s: no release before %s is left (keep-releases prunes older ones)'
             % (q(target.link), current))
        target.switch(previous)
        result.status, result.release_id, result.previous_release_id, result.tree = (
            'rolled-back', previous, current, target.tree(previous))


# --- The run. ---


def run_targets(job, root, result):
    """Takes the lock, then carries out each target in order; returns the exit code."""
    lock, parts = take_lock(root, job), None
    try:
        parts = PartStore(min(job.concurrency, 64))
        for i, spec in enumerate(job.targets):
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
    parser = Usage(prog='efsync_agent.py', usage='efsync_agent.py JOB.json [--mounted DIR]', add_help=False,
                   allow_abbrev=False)
    parser.add_argument('job', metavar='JOB.json')
    parser.add_argument('--mounted', metavar='DIR')
    args = parser.parse_args(argv)
    if args.job.startswith('-'):  # '-' or a name after '--': never a job file that could pass for an option
        parser.error('invalid job file name')
    return args


def carry_out(job, mounted, result):
    """Mounts the file system (unless it is `mounted` already), runs the targets, unmounts; returns the exit code."""
    log('efsync agent: run %s, %d target(s), file system %s' % (job.run_id, len(job.targets), job.file_system_id))
    for spec in job.targets:  # before the mount: a bad chunk fails the job before anything is written
        spec.check_chunks()
    if mounted is not None:
        need(os.path.isdir(mounted), '--mounted %s is not a directory' % q(mounted))
        return run_targets(job, mounted, result)
    mount(job.mount)
    try:
        return run_targets(job, MOUNTPOINT, result)
    finally:
        umount()


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


if __name__ == '__main__':
    if sys.getfilesystemencoding().lower() not in ('utf-8', 'utf8'):
        # Paths come as UTF-8 in the job: make the file system encoding agree, whatever locale SSM runs us in.
        os.execv(sys.executable, [sys.executable, '-X', 'utf8'] + sys.argv)
    sys.stdout.reconfigure(errors='backslashreplace')
    sys.exit(main(sys.argv[1:]))
