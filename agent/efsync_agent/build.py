"""Building a release: the files of each batch of the job, written, linked or copied in parallel."""
from __future__ import annotations

import collections
import concurrent.futures as cf
import functools
import json
import os
import stat

from .common import EXIT, Failure, STOP, human, q, rel_parts
from .files import BaseVerified, Release, copy, write_file
from .fs import MODE_MASK
from .log import Progress, log
from .parts import Part
from .result import Done
from .transfer import download


class ReleaseBuild:
    """How TargetRun (target_run.py) builds a release: links of unchanged files, parts and objects, in parallel."""

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
        if STOP.is_set():  # links do not stream, so nothing else would stop them: no new work once told to stop
            raise Failure('stopped')
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
