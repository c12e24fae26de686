"""Files: each is written to a new temp file, verified, then renamed; nothing is written through a hard link."""
from __future__ import annotations

import errno
import hashlib
import json
import os
import threading
import zlib

from .common import Failure, STOP, q, rel_parts
from .fs import MODE_MASK
from .result import Done


CHUNK = 1 << 20


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
