"""The job as the agent reads it: a valid job is taken whole, and anything wrong fails it before a file is written."""
import hashlib
import json
import os
import tempfile
import unittest

from efsync_agent.common import EXIT, Failure
from efsync_agent.job import JobManifest, load_job
from efsync_agent.result import AgentResult
from support import file_json, job_json, target_json


def refused(test, job, message):
    with test.assertRaises(Failure) as caught:
        JobManifest.from_json(job)
    test.assertEqual(str(caught.exception), message)
    test.assertEqual(caught.exception.code, EXIT['error'])


class ValidJob(unittest.TestCase):
    def test_reads_every_field(self):
        url = {'from': 'url', 'url': 'https://bucket.s3.amazonaws.com/a', 'verify': 'md5', 'digest': 'ab' * 16}
        job = JobManifest.from_json(job_json([target_json(
            base='r1', dirs=[{'path': 'pkg', 'mode': 0o755}],
            files=[file_json('pkg/a.py', b'print(1)\n'), file_json('b.bin', size=3, source=url, sha256=None),
                   file_json('c.txt', b'kept', source={'from': 'base'})])], keepReleasesMinutes=30))
        self.assertEqual((job.run_id, job.keep_releases, job.keep_releases_minutes, job.concurrency), ('run-1', 3, 30, 4))
        self.assertEqual(list(job.parts), ['p1.tar'])
        target = job.targets[0]
        self.assertEqual((target.target, target.action, target.release_id, target.base_release_id),
                         ('lib', 'sync', 'r2', 'r1'))
        self.assertEqual([f.source.kind for f in target.files], ['part', 'url', 'base'])
        self.assertEqual(target.files[1].source.digest, 'ab' * 16)
        self.assertEqual(target.file_count(), 3)
        self.assertEqual(target.url_bytes(), 3)
        self.assertEqual(target.batch_parts(), [frozenset({'p1.tar'})])

    def test_a_rollback_entry_needs_nothing_but_its_target(self):
        job = JobManifest.from_json(job_json([{'target': 'lib', 'action': 'rollback', 'files': 'ignored'}]))
        self.assertEqual((job.targets[0].action, job.targets[0].files), ('rollback', []))

    def test_load_job_records_the_run_and_the_sha256_of_the_bytes_read(self):
        data = json.dumps(job_json()).encode()
        with tempfile.NamedTemporaryFile(suffix='.json', delete=False) as f:
            f.write(data)
        self.addCleanup(os.unlink, f.name)
        result = AgentResult()
        load_job(f.name, result)
        self.assertEqual((result.run_id, result.job_sha256), ('run-1', hashlib.sha256(data).hexdigest()))

    def test_load_job_names_a_job_it_cannot_read(self):
        with self.assertRaises(Failure) as caught:
            load_job('/nonexistent/job.json')
        self.assertTrue(str(caught.exception).startswith('cannot read the job manifest "/nonexistent/job.json": '))


class InvalidJob(unittest.TestCase):
    def test_version(self):
        refused(self, job_json(version=2), 'the job manifest is not version 1')

    def test_no_targets(self):
        refused(self, job_json([]), 'the job has no targets')

    def test_keep_releases(self):
        refused(self, job_json(keepReleases=0), 'invalid keepReleases/concurrency')
        refused(self, job_json(concurrency=True), 'invalid keepReleases/concurrency')

    def test_mount(self):
        job = job_json()
        job['mount']['fileSystemId'] = 'fs-nothex'
        refused(self, job, 'invalid mount fileSystemId "fs-nothex"')

    def test_release_ids(self):
        refused(self, job_json([target_json(release='../x')]), 'invalid releaseId "../x"')
        refused(self, job_json([target_json(release='history')]), 'invalid releaseId "history"')
        refused(self, job_json([target_json(base='a b')]), 'invalid baseReleaseId "a b"')

    def test_paths_that_leave_the_release(self):
        refused(self, job_json([target_json(files=[file_json('a/../../etc/passwd')])]),
                'refusing file path "a/../../etc/passwd": empty, "." or ".." part')
        refused(self, job_json([target_json(files=[file_json('/etc/passwd')])]),
                'refusing file path "/etc/passwd": not a relative path')
        refused(self, job_json([target_json(name='/lib')]), 'refusing target path "/lib": not a relative path')

    def test_a_path_listed_twice_or_as_a_directory(self):
        refused(self, job_json([target_json(files=[file_json('a'), file_json('a')])]),
                'target "lib": file "a" is listed twice or also as a directory')
        refused(self, job_json([target_json(dirs=[{'path': 'a', 'mode': 0o755}], files=[file_json('a')])]),
                'target "lib": file "a" is listed twice or also as a directory')

    def test_targets_repeated_or_nested(self):
        refused(self, job_json([target_json(name='lib'), target_json(name='lib/sub')]),
                'target "lib/sub" is listed twice or nested in another target of the job')

    def test_sources(self):
        refused(self, job_json([target_json(files=[file_json('a', source={'from': 'base'})])]),
                'target "lib": file "a": from the base release, but there is none')
        refused(self, job_json([target_json(files=[file_json('a', source={'from': 'part', 'part': 'p9.tar',
                                                                         'member': 'a'})])]),
                'target "lib": file "a": unknown part "p9.tar"')
        refused(self, job_json([target_json(files=[file_json('a', source={'from': 'url', 'url': 'file:///etc/x',
                                                                         'verify': 'size'})])]),
                'target "lib": file "a" has no http(s) URL')

    def test_a_digest_of_the_wrong_length(self):
        source = {'from': 'url', 'url': 'https://b/a', 'verify': 'sha256', 'digest': 'ab' * 16}
        refused(self, job_json([target_json(files=[file_json('a', source=source)])]),
                'target "lib": file "a": verify sha256 needs a hex digest of 32 bytes')

    def test_a_chunk_over_its_bounds(self):
        chunk = {'url': 'https://b/c', 'size': 10, 'sha256': '0' * 64, 'files': 10001}
        refused(self, job_json([target_json(chunks=[chunk])]),
                'target "lib": chunk 1 needs an http(s) URL, a size of at most 33554432 bytes, a sha256 and 1 to '
                '10000 files')


if __name__ == '__main__':
    unittest.main()
