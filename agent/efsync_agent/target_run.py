"""One target of the job: a sync (clean up, build, switch, prune) or a rollback."""
from __future__ import annotations

import os
import stat

from .build import ReleaseBuild
from .common import Failure, need, q, utc
from .fs import own, random_name, remove
from .imports import verify_imports
from .log import log
from .target import Target


class TargetRun(ReleaseBuild):
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
        own(name, rel.fd)
        top = rel.sub(name)
        try:
            self.build(current, top)
            self.release.verify()  # where it was built, each of its folders too: none moved away or replaced
            os.rename(name, rid, src_dir_fd=rel.fd, dst_dir_fd=rel.fd)
            name, top.name, top.path = rid, rid, rel.join(rid)  # still removed on failure, until it is served
            top.verify()
            if self.job.verify_imports is not None and self.spec.kind == 'pip':  # still removed if it fails
                verify_imports(top, self.job.verify_imports.skip)
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
