#!/usr/bin/env python3
"""efsync agent: carries out one job (JobManifest, src/core/protocol.ts) on an EFS file system.

Runs on the short-lived Amazon Linux 2023 instance under SSM Run Command, as root, with the system python3 (3.9)
and nothing but the standard library. Usage: python3 efsync_agent.py JOB.json [--mounted DIR]

Layout per target <parent>/<name> (DESIGN.md, "Layout on EFS: atomic releases"):
  <parent>/<name>                       relative symlink -> .<name>.efsync/<release-id>
  <parent>/.<name>.efsync/<id>/         one complete release: exactly what the source holds
  <parent>/.<name>.efsync/<id>.json     its tree {files, dirs}; each file says how its content was verified
  <parent>/.<name>.efsync/history.json  every switch of the target, oldest first (History)
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
# The mount is the agent's own:
# - The mount point /mnt/efsync/fs is inside /mnt/efsync, root's folder of mode 0700: no other user of the instance (a
#   borrowed one, `instance-id`) can reach the mount to read a release, or change one between its verification and
#   the switch ("search permission is required on each directory" of a path: path_resolution(7)).
# - Once mounted, the mount is remounted with nosymfollow, nosuid, nodev and noexec: the kernel follows no symbolic
#   link on it at all, even one a path of the agent's own should meet ("nosymfollow: Do not follow symlinks when
#   resolving paths", mount(8); Linux 5.10 and util-linux 2.36, where AL2023's kernel is 6.1), and nothing on it runs
#   as setuid or opens as a device. A bind remount changes only this mount's flags, whatever the file system
#   (mount(2), MS_REMOUNT | MS_BIND), and mount(8) keeps the flags it has (ro stays ro).
# - No private mount namespace (unshare --mount): the EFS mount helper's watchdog looks for each TLS mount it
#   supervises in /proc/mounts of its own namespace and, finding none, stops the mount's TLS tunnel after
#   unmount_grace_period_sec (aws/efs-utils, watchdog check_efs_mounts), which would hang the hard NFS mount in the
#   middle of a run. The 0700 folder keeps other users out instead.
# - Whatever the mount options (a kernel without nosymfollow, or --mounted), the agent's own file handling refuses
#   links and swapped folders (Dir, below); where the remount fails the run goes on with that alone, and says so.
MOUNT_BASE = '/mnt/efsync'
MOUNTPOINT = MOUNT_BASE + '/fs'
HARDENING = 'nosymfollow,nosuid,nodev,noexec'
ST_NOSYMFOLLOW = 0x2000  # statvfs(3): f_flag of a mount with nosymfollow (Linux 5.10)
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
# The instance metadata service. AWS_EC2_METADATA_SERVICE_ENDPOINT names another endpoint for it, as AWS SDKs and the
# CLI read it ("IMDS credential provider", ec2_metadata_service_endpoint, AWS SDKs and Tools Reference Guide): unset on
# an instance, where SSM Agent's command environment has no such variable; the test bed sets it (it cannot answer on
# the link-local address).
IMDS = os.environ.get('AWS_EC2_METADATA_SERVICE_ENDPOINT', 'http://169.254.169.254').rstrip('/') + '/latest/'


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
    # A release beyond keep_releases is removed only once it stopped serving at least this many minutes ago.
    keep_releases_minutes: int = 0

    @classmethod
    def from_json(cls, job) -> JobManifest:
        need(isinstance(job, dict) and job.get('version') == 1, 'the job manifest is not version 1')
        mount = MountSpec.from_json(job.get('mount') or {})
        need(isinstance(job.get('lockTimeoutSeconds'), (int, float)) and job['lockTimeoutSeconds'] >= 0,
             'invalid lockTimeoutSeconds')
        need(is_int(job.get('keepReleases'), 1) and is_int(job.get('concurrency'), 1),
             'invalid keepReleases/concurrency')
        need(is_int(job.get('keepReleasesMinutes'), 0), 'invalid keepReleasesMinutes')
        parts = {}
        for raw in job.get('parts') or []:
            part = StagedPart.from_json(raw, parts)
            parts[part.name] = part
        need(job.get('targets'), 'the job has no targets')
        seen = set()
        targets = [TargetJob.from_json(t, parts, seen) for t in job['targets']]
        return cls(job.get('runId'), job.get('fileSystemId'), mount, job['lockTimeoutSeconds'], job['keepReleases'],
                   job['concurrency'], parts, targets, job.get('logUrl'), job.get('resultUrl'),
                   job['keepReleasesMinutes'])


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
    private_mount_point()
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
            harden()
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


def umount(point=MOUNTPOINT):
    for command in (['umount', point], ['umount', '-l', point]):
        ok, out = run_quiet(command, 60)
        if ok:
            log('unmounted %s' % point)
            return
        log('%s: %s' % (' '.join(command), out))


def private_mount_point():
    """Makes MOUNT_BASE a folder of root's with mode 0700 (a link there fails the run) and the mount point in it."""
    for point in (MOUNTPOINT, MOUNT_BASE):  # an earlier run's mount; agents before this one mounted at MOUNT_BASE
        if os.path.ismount(point):
            log('%s is mounted already (an earlier run?): unmounting it first' % point)
            umount(point)
    try:
        os.mkdir(MOUNT_BASE, 0o700)
    except FileExistsError:
        pass
    base = Dir.open(MOUNT_BASE)
    try:
        os.fchown(base.fd, os.geteuid(), os.getegid())
        os.fchmod(base.fd, 0o700)
        base.sub(os.path.basename(MOUNTPOINT), create=True, mode=0o700).close()
    finally:
        base.close()


def harden():
    """Remounts the mount with HARDENING; says so when the kernel or mount(8) cannot, and goes on (see MOUNT_BASE)."""
    ok, why = run_quiet(['mount', '-o', 'remount,bind,' + HARDENING, MOUNTPOINT], 60)
    if ok and os.statvfs(MOUNTPOINT).f_flag & ST_NOSYMFOLLOW:
        log('remounted %s with %s: the kernel follows no symbolic link on it' % (MOUNTPOINT, HARDENING))
    else:
        log('could not remount %s with %s (%s; Linux 5.10 and util-linux 2.36 have it): the agent still opens nothing '
            'through a link' % (MOUNTPOINT, HARDENING, why if not ok else 'the kernel ignored nosymfollow'))


def take_lock(root, job):
    """An exclusive POSIX lock on <root>/.efsync.lock (lockf works over NFSv4); the file says who holds it. The lock
    file is opened without following a link (a planted one fails the run) and must be a regular file."""
    try:
        fd = os.open('.efsync.lock', os.O_RDWR | os.O_CREAT | NOFOLLOW | os.O_NONBLOCK, 0o644, dir_fd=root.fd)
    except OSError as e:
        if e.errno in (errno.ELOOP, errno.EISDIR, errno.ENXIO):
            raise root.not_ours('.efsync.lock', e, 'file')
        if e.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise
        # EFS User Guide, "Using IAM to control access to file systems": ClientMount alone is read-only access, and
        # without ClientRootAccess root is squashed.
        raise Failure('the file system refuses writes by root (%s): without elasticfilesystem:ClientWrite EFS gives '
                      'read-only access, and without ClientRootAccess it squashes root. Grant both to the instance '
                      'role on the file system (infra/efsync.yaml does)' % e.strerror, EXIT['error'])
    deadline, said = time.monotonic() + job.lock_timeout_seconds, 0.0
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_nlink != 1:  # a hard link would have the lock write another file
            raise root.not_ours('.efsync.lock', None, 'file')
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


# --- The file system: the agent opens nothing through a link it did not make. ---
#
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
        return name, os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW, mode, dir_fd=self.fd)

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


# --- Files: each is written to a new temp file, verified, then renamed; nothing is written through a hard link. ---


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
    """A release folder held open. The folder of each file is opened one name at a time from it (Dir.sub), so no link,
    planted or swapped in, leads a write, or the source of a hard link, out of the release."""

    def __init__(self, top, create):
        self.top, self.create, self.lock = top, create, threading.RLock()
        self.dirs = {(): top}

    def folder(self, parts, what='file', rel=None):
        key = tuple(parts)
        with self.lock:
            d = self.dirs.get(key)
            if d is None:
                parent = self.folder(key[:-1], what, rel)
                try:
                    d = parent.sub(key[-1], create=self.create)
                except Failure as e:
                    raise Failure('refusing %s path %s: it resolves outside the release (%s)' % (what, q(rel), e))
                self.dirs[key] = d
            return d

    def place(self, rel, what='file'):
        """(the folder held open, the name in it) of a path in the release."""
        parts = rel_parts(rel, what)
        return self.folder(parts[:-1], what, rel), parts[-1]

    def verify(self):
        """Fails unless the release, and each of its folders, is still at its name (Dir.verify)."""
        with self.lock:
            self.top.verify()
            for d in self.dirs.values():
                if d is not self.top and not d.parent.holds(d.name, d):
                    raise Failure('%s was moved, removed or replaced (by a symbolic link or another folder) while '
                                  'efsync built it: nothing was published' % q(d.path))

    def close(self):
        with self.lock:
            for d in self.dirs.values():
                d.close()
            self.dirs = {}


def write_file(release, entry, fill, origin, code):
    """Writes one file of the new release with fill(sink), verifies it, sets its mode, renames it into place."""
    folder, name = release.place(entry.path)
    tmp, fd = folder.create('.efsync-tmp-')
    try:
        with os.fdopen(fd, 'wb') as f:
            sink = Sink(f, verify=entry.source.verify)
            fill(sink)
            problem = mismatch(entry, sink)
            if problem:
                raise Failure('file %s from %s does not verify: %s' % (q(entry.path), origin, problem), code)
            os.fchmod(f.fileno(), entry.mode & MODE_MASK)
        os.rename(tmp, name, src_dir_fd=folder.fd, dst_dir_fd=folder.fd)
        entry.verified = verified_by(entry)
    except BaseException:
        folder.discard(tmp)
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

    def __init__(self, folder=None, name=None):
        try:
            self.f = os.fdopen(folder.open_file(name), encoding='utf-8') if folder else None
        except (OSError, Failure):
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
    the same rule: src/run/job-manifest.ts, scratchBytes)."""

    def __init__(self, limit):
        self.workdir = tempfile.mkdtemp(prefix=PARTS_PREFIX, dir=parts_root())
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


# --- Targets. ---


def parse_utc(text):
    """Seconds since the epoch of a time utc() wrote; None for anything else."""
    try:
        return datetime.datetime.strptime(text, '%Y-%m-%dT%H:%M:%SZ').replace(
            tzinfo=datetime.timezone.utc).timestamp()
    except (TypeError, ValueError):
        return None


class History:
    """Every switch of a target, oldest first (history.json): which release it served, since when, until when (null
    while it serves), and whether it was rolled back from. Times are utc(), null where unknown.

    {"version": 2, "switches": [{"release": "r1", "since": "...", "until": "...", "rolledBackFrom": false}, ...]}

    The first format, a plain list of release ids in publish order, is still read: each id a switch, in turn. Its
    releases stopped serving at times it does not record, so they count as stopped when first read (the latest they
    can have stopped, so min-age pruning never comes early); an id after the served one was rolled back from, since
    a rollback of that format left the list as it was."""

    def __init__(self, switches):
        self.switches = switches

    @classmethod
    def load(cls, folder, current):
        try:
            raw = folder.read_json('history.json')
        except FileNotFoundError:
            return cls([])
        except (OSError, ValueError) as e:
            raise Failure('cannot read %s: %s' % (q(folder.join('history.json')), e))
        if isinstance(raw, list):
            ids, now = [i for i in raw if is_id(i)], utc()
            at = max((n for n, i in enumerate(ids) if i == current), default=len(ids) - 1)
            # The last id serves still if it is the one served; otherwise reconcile() adds a switch to the one served.
            return cls([{'release': i, 'since': None, 'until': None if n == at == len(ids) - 1 else now,
                         'rolledBackFrom': n > at} for n, i in enumerate(ids)])
        need(isinstance(raw, dict) and raw.get('version') == 2 and isinstance(raw.get('switches'), list),
             'cannot read %s: not a history efsync wrote' % q(folder.join('history.json')))
        switches = []
        for s in raw['switches']:
            if isinstance(s, dict) and is_id(s.get('release')):  # well-formed ids only: pruning removes them
                switches.append({'release': s['release'],
                                 'since': s['since'] if isinstance(s.get('since'), str) else None,
                                 'until': s['until'] if isinstance(s.get('until'), str) else None,
                                 'rolledBackFrom': s.get('rolledBackFrom') is True})
        return cls(switches)

    def to_json(self):
        return {'version': 2, 'switches': self.switches}

    def serving(self):
        last = self.switches[-1] if self.switches else None
        return last['release'] if last and last['until'] is None else None

    def ids(self):
        """The releases named, each once, the most recently served last."""
        last = {s['release']: n for n, s in enumerate(self.switches)}
        return sorted(last, key=last.get)

    def stop(self, rolled_back=False):
        for s in self.switches:
            if s['until'] is None:
                s['until'], s['rolledBackFrom'] = utc(), rolled_back

    def reconcile(self, current):
        """Makes the history say what the target serves: a run killed between a switch and the history's update left
        it behind by one switch, whose start time is unknown."""
        if current is not None and self.serving() != current:
            self.stop()
            self.switches.append({'release': current, 'since': None, 'until': None, 'rolledBackFrom': False})

    def switch(self, rid, rolled_back=False):
        """Records a switch to rid: the release served until now stops, rolled back from or not."""
        self.stop(rolled_back)
        self.switches.append({'release': rid, 'since': utc(), 'until': None, 'rolledBackFrom': False})

    def add_stopped(self, rid):
        self.switches.append({'release': rid, 'since': None, 'until': utc(), 'rolledBackFrom': False})

    def previous(self, current, exists):
        """What a rollback serves: the release that served before the current one, passing over the current one
        itself, any release ever rolled back from, and releases that are gone."""
        bad = {s['release'] for s in self.switches if s['rolledBackFrom']}
        for s in reversed(self.switches):
            rid = s['release']
            if rid != current and rid not in bad and exists(rid):
                return rid
        return None

    def prune(self, keep, minutes, now=None):
        """Takes out of the history, and returns, the releases to remove: those beyond the `keep` most recently served
        that stopped serving at least `minutes` ago. A release that stopped more recently stays: a Lambda may still
        read it through a path it pinned (os.path.realpath of the target) while it served."""
        now = time.time() if now is None else now
        ids = self.ids()
        until = {s['release']: s['until'] for s in self.switches}  # the last switch of each
        pruned = []
        for rid in ids[:max(len(ids) - keep, 0)]:
            stopped = parse_utc(until[rid])
            if stopped is not None and now - stopped >= minutes * 60:
                pruned.append(rid)
        self.switches = [s for s in self.switches if s['release'] not in pruned]
        return pruned

    def kept_young(self, keep):
        """The releases beyond `keep` that prune() left for their age."""
        ids = self.ids()
        return ids[:max(len(ids) - keep, 0)]


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


class TargetRun:
    """One target of the job. A sync builds the new release beside the served one, switches the target to it and
    prunes old releases; a rollback switches back to the release before. What is done goes into `result` as it
    happens, so that a failure still reports it."""

    def __init__(self, job, root, spec, parts, result, later=frozenset()):
        """`later`: the staged parts that later targets take files from, kept on disk for them."""
        self.job, self.root, self.spec, self.parts, self.result, self.later = job, root, spec, parts, result, later
        self.target = None
        # Set by build(): the release being built, the served one (the base of a plan against it), its id, and the
        # progress of the downloads.
        self.release = self.base = self.current = self.progress = None

    def run(self):
        self.target = Target(self.root, self.spec.target)
        try:
            if self.spec.action == 'sync':
                self.sync()
            else:
                self.rollback()
        finally:
            self.target.close()

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
        target.open_parent(create=True)
        rel = target.open_releases(create=True)
        for n in target.check_releases():
            if n.startswith('.tmp-'):
                log('removing %s, left by an interrupted run' % q(n))
                remove(rel, n)
        for n in os.listdir(target.parent.fd):  # the new symlink of a switch that was cut short
            st = target.parent.entry(n)
            if n.startswith(target.reldir + '.next') and st is not None and stat.S_ISLNK(st.st_mode):
                target.parent.discard(n)
        history = target.history(current)
        if current and rel.entry(current) is not None:
            history.reconcile(current)  # served but not recorded: a run was killed between switch and history
        if rel.entry(rid) is not None:
            need(rid not in history.ids(), 'release %s of %s exists already' % (rid, q(target.link)))
            log('removing release %s, left unfinished by an interrupted run' % rid)
            remove(rel, rid)
        return history

    def publish(self, current, kind, history):
        """Builds the release under a new temporary name, renames it into place, and points the target at it."""
        target, rid = self.target, self.spec.release_id
        rel = target.releases
        name = random_name('.tmp-%s-' % rid)
        os.mkdir(name, 0o755, dir_fd=rel.fd)
        top = rel.sub(name)
        try:
            self.build(current, top)
            self.release.verify()  # where it was built, each of its folders too: none moved away or replaced
            os.rename(name, rid, src_dir_fd=rel.fd, dst_dir_fd=rel.fd)
            name, top.name, top.path = rid, rid, rel.join(rid)  # still removed on failure, until it is served
            top.verify()
            if kind == 'dir':
                self.adopt_plain_directory(history)
            target.switch(rid, top)
            history.switch(rid)
            name = None
        finally:
            if self.release is not None:
                self.release.close()
            if name is not None:  # not served: neither the release nor its tree stays
                try:
                    remove(rel, name, expect=top)
                    remove(rel, rid + '.json')
                except (OSError, Failure) as e:
                    log('left %s in place: %s' % (q(rel.join(name)), e))
            top.close()

    def adopt_plain_directory(self, history):
        # A plain directory (from efsync or by hand) becomes a release once, kept for rollback. It moves only now,
        # right before the switch, so the target path is missing for a moment at most.
        target = self.target
        legacy = 'legacy-' + utc('%Y%m%dT%H%M%SZ')
        while target.releases.entry(legacy) is not None:
            legacy += 'x'
        history.add_stopped(legacy)
        target.save_history(history)
        os.rename(target.name, legacy, src_dir_fd=target.parent.fd, dst_dir_fd=target.releases.fd)
        log('moved the plain directory %s aside as release %s' % (q(target.link), legacy))
        self.result.previous_release_id = legacy

    def record(self, history):
        """Saves the history with the switch, and removes the releases beyond keepReleases that stopped serving at least
        keepReleasesMinutes ago."""
        target, result, job = self.target, self.result, self.job
        pruned = history.prune(job.keep_releases, job.keep_releases_minutes)
        target.save_history(history)  # first, so history never names a half-removed release
        for old in pruned:
            remove(target.releases, old)
            remove(target.releases, old + '.json')
        if pruned:
            log('pruned releases %s' % ', '.join(pruned))
        young = history.kept_young(job.keep_releases)
        if young:
            log('kept releases %s beyond keep-releases %d: they stopped serving less than %d minutes ago '
                '(keep-releases-minutes), and a Lambda may still read them'
                % (', '.join(young), job.keep_releases, job.keep_releases_minutes))
        result.status, result.releases_pruned, result.files_deleted = 'published', pruned, len(self.spec.deleted)

    def build(self, current, top):
        """Builds the whole new release in the folder `top`: links of unchanged files, parts and objects, in parallel,
        one batch of files at a time (the job's own, then each chunk's), so memory holds one batch, never every file."""
        spec, result, target = self.spec, self.result, self.target
        rel = target.releases
        dirs = sorted(spec.dirs, key=lambda d: d.path)
        log('building release %s of %s: %d files, %d deleted'
            % (spec.release_id, q(target.link), spec.file_count(), len(spec.deleted)))
        self.release = Release(top, create=True)
        for d in dirs:
            self.release.folder(rel_parts(d.path, 'directory'), 'directory', d.path)
        self.current = current
        self.progress = None
        base_verified, tree = BaseVerified(), None
        try:
            self.base = Release(rel.sub(current), create=False) if current else None
            batch_parts = spec.batch_parts()
            fetch = {p for p in set().union(*batch_parts) if p not in self.parts}
            self.progress = Progress(spec.url_bytes() + sum(self.job.parts[p].size for p in fetch))
            # The release's tree is written as the batches go: a FileEntry a line, then the directories.
            base_verified = BaseVerified(rel, current + '.json') if current else BaseVerified()
            tree, fd = rel.create('.tmp-%s.json-' % spec.release_id, 0o644)
            with os.fdopen(fd, 'w', encoding='utf-8') as out:
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
                os.fchmod(self.release.folder(rel_parts(d.path, 'directory')).fd, d.mode & MODE_MASK)
            os.replace(tree, spec.release_id + '.json', src_dir_fd=rel.fd, dst_dir_fd=rel.fd)
            tree = None
        finally:
            base_verified.close()
            if self.base is not None:
                self.base.close()
            if tree is not None:
                rel.discard(tree)
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
        try:
            folder, name = self.base.place(f.path)
            st = folder.entry(name)
        except FileNotFoundError:
            st = None
        if st is None or not stat.S_ISREG(st.st_mode) or st.st_size != f.size:
            raise Failure('file %s should be kept from release %s but is missing or changed there; publish '
                          'again with a full upload' % (q(f.path), self.current))
        if stat.S_IMODE(st.st_mode) != f.mode & MODE_MASK:  # a chmod of a link would change the old release too
            def fill(sink):
                with os.fdopen(folder.open_file(name), 'rb') as r:
                    copy(r.read, sink)
            return write_file(self.release, f, fill, 'release ' + self.current, EXIT['error'])
        dest_folder, dest = self.release.place(f.path)
        os.link(name, dest, src_dir_fd=folder.fd, dst_dir_fd=dest_folder.fd, follow_symlinks=False)
        return Done(0, 0, 1)

    def rollback(self):
        target, result = self.target, self.result
        current, kind = target.current()
        need(kind == 'release', 'cannot roll back %s: it %s' % (
            q(target.link), 'is a plain directory, not an efsync release' if kind == 'dir' else 'has no release'))
        try:
            rel = target.open_releases(create=False)
        except FileNotFoundError:
            raise Failure('cannot roll back %s: its releases folder %s is gone' % (q(target.link), target.reldir))
        target.check_releases()
        history = target.history(current)
        history.reconcile(current)

        def exists(rid):
            st = rel.entry(rid)
            return st is not None and stat.S_ISDIR(st.st_mode)
        previous = history.previous(current, exists)
        need(previous, 'cannot roll back %s: no release before %s is left (keep-releases prunes older ones, and a '
             'release rolled back from is never served again by a rollback)' % (q(target.link), current))
        folder = rel.sub(previous)
        try:
            target.switch(previous, folder)
        finally:
            folder.close()
        history.switch(previous, rolled_back=True)
        target.save_history(history)
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
    clear_stale_scratch()
    if mounted is not None:
        need(os.path.isdir(mounted), '--mounted %s is not a directory' % q(mounted))
        return run_on(job, mounted, result)
    mount(job.mount)
    try:
        return run_on(job, MOUNTPOINT, result)
    finally:
        umount()


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


if __name__ == '__main__':
    if sys.getfilesystemencoding().lower() not in ('utf-8', 'utf8'):
        # Paths come as UTF-8 in the job: make the file system encoding agree, whatever locale SSM runs us in.
        os.execv(sys.executable, [sys.executable, '-X', 'utf8'] + sys.argv)
    sys.stdout.reconfigure(errors='backslashreplace')
    sys.exit(main(sys.argv[1:]))
