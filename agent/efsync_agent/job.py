"""The job (JobManifest, src/remote/protocol.ts): checked completely before anything is written, so a bad target
never leaves others half done."""
from __future__ import annotations

import hashlib
import io
import ipaddress
import json
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

from .common import Failure, need, q, rel_parts, wire
from .files import DIGEST_BYTES, Sink
from .log import log
from .transfer import download


# The most a job chunk may hold (JobChunk, src/remote/protocol.ts): the action makes them far smaller (JOB_CHUNK_FILES,
# JOB_CHUNK_BYTES in src/remote/stage/job-upload.ts), and the agent's memory stays bounded whatever a job says.
CHUNK_MAX_FILES = 10000
CHUNK_MAX_BYTES = 32 << 20

RELEASE_ID = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$')
HEX = re.compile(r'^[0-9a-f]+$')


def is_int(value, low=0):
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


def is_id(value):  # a release id names a directory beside history.json
    return isinstance(value, str) and RELEASE_ID.match(value) is not None and value != 'history'


def is_url(url):
    return isinstance(url, str) and re.match(r'^https?://', url) is not None  # never file:// and the like


FS_ID = re.compile(r'^fs-[0-9a-f]{8,40}$')
ACCESS_POINT_ID = re.compile(r'^fsap-[0-9a-f]{8,40}$')
HOST_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$')


@dataclass
class MountSpec:
    """How to mount the file system (src/remote/protocol.ts MountSpec); every value ends up an argument of mount(8)."""
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
    """A bounded run of a target's files, kept out of the job (JobChunk, src/remote/protocol.ts): one ReleaseFile JSON a
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
    kind: Optional[str] = None  # 'pip' | 'local' | 's3' (TargetKind, src/core/targets.ts): the dependencies are 'pip'

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
        kind = raw.get('kind')
        need(kind in (None, 'pip', 'local', 's3'), 'target %s: invalid kind %s' % (q(name), q(kind)))
        if raw['action'] == 'rollback':  # serves an older release again: nothing else of the entry is used
            return cls(name, 'rollback', raw.get('releaseId') or '', kind=kind)
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
        return cls(name, 'sync', raw['releaseId'], base, dirs, files, raw.get('deleted') or [], chunks, parts, kind)

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


# An access point's root directory is at most 100 characters (EFS API reference, RootDirectory Path); uids, gids are
# 32-bit (PosixUser); permissions are 3 or 4 octal digits (CreationInfo Permissions).
PERMISSIONS = re.compile(r'^[0-7]{3,4}$')
MAX_ID = (1 << 32) - 1


@dataclass
class PlaceSpec:
    """Where a writer that mounts the file system's root as root writes for a run through an access point
    (src/remote/protocol.ts PlaceSpec): under `names` (the root directory's), everything it makes given `owner`."""
    names: List[str]
    owner: Optional[tuple] = None  # (uid, gid)
    creation: Optional[tuple] = None  # (uid, gid, mode)

    @classmethod
    def from_json(cls, raw) -> PlaceSpec:
        need(isinstance(raw, dict), 'invalid place %s' % q(raw))
        root = raw.get('root')
        need(isinstance(root, str) and root.startswith('/') and len(root) <= 100 and '\0' not in root,
             'invalid place root %s' % q(root))
        names = [n for n in root.split('/') if n]
        need(all(n not in ('.', '..') for n in names), 'invalid place root %s' % q(root))

        def ids(value, what):
            need(isinstance(value, dict) and all(is_int(value.get(k), 0) and value[k] <= MAX_ID for k in ('uid', 'gid')),
                 'invalid place %s %s' % (what, q(value)))
            return value['uid'], value['gid']
        owner = ids(raw['owner'], 'owner') if raw.get('owner') is not None else None
        creation = None
        if raw.get('creation') is not None:
            uid, gid = ids(raw['creation'], 'creation')
            perms = raw['creation'].get('permissions')
            need(isinstance(perms, str) and PERMISSIONS.match(perms), 'invalid place creation permissions %s' % q(perms))
            creation = (uid, gid, int(perms, 8))
        return cls(names, owner, creation)


# A module as `import` names it (MODULE_NAME, src/config/verify-imports.ts).
MODULE_NAME = re.compile(r'[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*')  # whole names only: fullmatch


@dataclass
class VerifyImports:
    """The job's verifyImports (VerifyImportsJob, src/remote/protocol.ts)."""
    skip: List[str] = field(default_factory=list)

    @classmethod
    def from_json(cls, raw) -> VerifyImports:
        skip = raw.get('skip') if isinstance(raw, dict) else None
        need(isinstance(skip, list) and all(isinstance(s, str) and MODULE_NAME.fullmatch(s) for s in skip),
             'invalid verifyImports: its skip must be a list of module names')
        return cls(list(skip))


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
    place: Optional[PlaceSpec] = None
    # The modules not to import when each 'pip' target's new release is imported before its switch (imports.py);
    # None: no import is made.
    verify_imports: Optional[VerifyImports] = None

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
        verify = job.get('verifyImports')
        return cls(job.get('runId'), job.get('fileSystemId'), mount, job['lockTimeoutSeconds'], job['keepReleases'],
                   job['concurrency'], parts, targets, job.get('logUrl'), job.get('resultUrl'),
                   job['keepReleasesMinutes'], PlaceSpec.from_json(job['place']) if job.get('place') else None,
                   None if verify is None else VerifyImports.from_json(verify))


def load_job(path, result=None):
    """Reads the job from a file (parse_job)."""
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except OSError as e:
        raise Failure('cannot read the job manifest %s: %s' % (q(path), e))
    return parse_job(data, result, 'the job manifest %s' % q(path))


def parse_job(data, result=None, what='the job manifest'):
    """The job from its bytes; `result` gets its runId and the sha256 of the bytes, which the action checks the result
    by."""
    try:
        raw = json.loads(data.decode('utf-8'))
    except ValueError as e:
        raise Failure('cannot read %s: %s' % (what, e))
    if result is not None:
        result.job_sha256 = hashlib.sha256(data).hexdigest()
        result.run_id = raw.get('runId') if isinstance(raw, dict) and isinstance(raw.get('runId'), str) else None
    return JobManifest.from_json(raw)
