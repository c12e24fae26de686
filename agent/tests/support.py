"""What the agent's unit tests share: a job as the action writes it, a scratch file system, the log held back.

Run from agent/: python3 -m unittest discover -s tests -t tests (npm test runs them against the built zipapp:
test/agent/python-unit.test.ts)."""
import contextlib
import hashlib
import io
import os
import shutil
import tempfile
import unittest

from efsync_agent.fs import Dir

FS_ID = 'fs-0123456789abcdef0'


def mount_json():
    return {'fileSystemId': FS_ID, 'dnsName': FS_ID + '.efs.eu-central-1.amazonaws.com', 'iam': False,
            'plainNfsAllowed': True, 'reason': 'no policy'}


def file_json(path, data=b'', **over):
    """A file of a part by default; `source` and the other keys as given override."""
    entry = {'path': path, 'size': len(data), 'mode': 0o644, 'sha256': hashlib.sha256(data).hexdigest(),
             'source': {'from': 'part', 'part': 'p1.tar', 'member': path}}
    entry.update(over)
    return entry


def target_json(name='lib', release='r2', base=None, files=(), dirs=(), **over):
    target = {'target': name, 'kind': 'local', 'action': 'sync', 'releaseId': release, 'baseReleaseId': base,
              'dirs': list(dirs), 'files': list(files), 'deleted': []}
    target.update(over)
    return target


def job_json(targets=None, **over):
    job = {'version': 1, 'runId': 'run-1', 'fileSystemId': FS_ID, 'mount': mount_json(), 'lockTimeoutSeconds': 10,
           'keepReleases': 3, 'keepReleasesMinutes': 0, 'concurrency': 4,
           'parts': [{'name': 'p1.tar', 'url': 'http://127.0.0.1:9/p1.tar', 'size': 10, 'sha256': '0' * 64}],
           'targets': [target_json()] if targets is None else targets}
    job.update(over)
    return job


class Scratch(unittest.TestCase):
    """A test on a folder standing for the file system, held open as the agent holds its mount root; the log it
    prints is kept in `self.out`."""

    def setUp(self):
        self.path = tempfile.mkdtemp(prefix='efsync-unit-')
        self.addCleanup(shutil.rmtree, self.path, True)
        self.out = io.StringIO()
        quiet = contextlib.redirect_stdout(self.out)
        quiet.__enter__()
        self.addCleanup(quiet.__exit__, None, None, None)
        self.root = Dir.open(self.path)
        self.addCleanup(self.root.close)

    def at(self, *parts):
        return os.path.join(self.path, *parts)

    def write(self, rel, data=b'', mode=0o644):
        full = self.at(rel)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, 'wb') as f:
            f.write(data)
        os.chmod(full, mode)
        return full
