"""The writer function's entry into the agent: a job carried out on a folder standing for the file system Lambda
mounted, at most once, within the invocation's time, its log and result uploaded as on an instance."""
import json
import os
import shutil
import tempfile
import time
import unittest
from unittest import mock

from efsync_agent import capacity, claim, deadline, lambda_handler
from efsync_agent.common import STOP, Failure
from efsync_agent.job import JobManifest
from served import Bucket, Context, event, stage_job
from support import Scratch, job_json


class Invocation(Scratch):
    """A function whose file system is the test's folder, its /tmp another; the bucket stands for S3."""

    def setUp(self):
        super().setUp()
        self.bucket = Bucket()
        self.addCleanup(self.bucket.close)
        self.tmp = tempfile.mkdtemp(prefix='efsync-lambda-tmp-')
        self.addCleanup(shutil.rmtree, self.tmp, True)
        env = mock.patch.dict(os.environ, {'TMPDIR': self.tmp, 'EFSYNC_MOUNT_PATH': '/mnt/efs'})
        env.start()
        self.addCleanup(env.stop)
        os.environ.pop('EFSYNC_FILE_SYSTEM_ID', None)
        mounted = mock.patch.object(lambda_handler, 'mount_path', return_value=self.path)
        mounted.start()
        self.addCleanup(mounted.stop)

    def invoke(self, run_id='run-1', job=None, ms=900000, **staged):
        job = job or stage_job(self.bucket, run_id, **staged)
        answer = lambda_handler.handler(event(run_id, job), Context(ms))
        self.assertFalse(STOP.is_set())  # the next invocation of the process starts afresh
        return answer, job

    def result(self, run_id='run-1'):
        body = self.bucket.last_put('%s/result.json' % run_id)
        return json.loads(body) if body is not None else None

    def log(self, run_id='run-1'):
        body = self.bucket.last_put('%s/log.txt' % run_id)
        return body.decode() if body is not None else None

    def served(self):
        return os.readlink(self.at('lib'))

    def assertNothingWritten(self):
        self.assertEqual(os.listdir(self.path), [])
        self.assertEqual([n for n in self.bucket.puts], [])


class Publishes(Invocation):
    def test_carries_out_the_job_and_answers_with_the_result_it_uploads(self):
        answer, (_, sha) = self.invoke()
        self.assertEqual((answer['status'], answer['runId'], answer['jobSha256']), ('ok', 'run-1', sha), answer)
        self.assertEqual([(t['target'], t['status'], t['filesWritten']) for t in answer['targets']],
                         [('lib', 'published', 2)])
        self.assertEqual(self.result(), answer)
        self.assertEqual(self.served(), '.lib.efsync/r1')
        with open(self.at('lib', 'pkg', 'b.py'), 'rb') as f:
            self.assertEqual(f.read(), b'print(2)\n')
        log = self.log()
        self.assertIn('the file system is mounted by Lambda at %s' % self.path, log)
        self.assertIn('the job\'s mount options (no policy) are not used', log)
        self.assertIn('EFSYNC_RESULT ', log)
        for text in (log, self.out.getvalue()):
            self.assertNotIn(self.bucket.secret, text)
        # its claim, and no staged part left in /tmp
        self.assertEqual(os.listdir(self.at('.efsync', 'claims')), ['%s.claim' % sha])
        self.assertEqual(os.listdir(self.tmp), [])

    def test_a_sync_on_a_served_release_links_what_did_not_change(self):
        self.invoke()
        answer, _ = self.invoke('run-2', files={'c.txt': b'new'}, release='r2', base='r1',
                                kept=[('a.txt', b'alpha\n')])
        self.assertEqual((answer['status'], answer['targets'][0]['filesLinked']), ('ok', 1), answer)
        self.assertEqual(self.served(), '.lib.efsync/r2')
        self.assertEqual(sorted(os.listdir(self.at('lib'))), ['a.txt', 'c.txt'])

    def test_the_threads_are_what_the_function_s_memory_allows(self):
        with mock.patch.dict(os.environ, {'AWS_LAMBDA_FUNCTION_MEMORY_SIZE': '136'}):
            answer, _ = self.invoke()
        self.assertEqual(answer['status'], 'ok', answer)
        self.assertIn('2 threads, not the job\'s 4: what the function allows (136 MB of memory', self.log())


class AtMostOnce(Invocation):
    def test_a_second_delivery_of_the_job_does_nothing_and_says_so(self):
        first, job = self.invoke()
        gets, puts = list(self.bucket.gets), {k: len(v) for k, v in self.bucket.puts.items()}
        second, _ = self.invoke(job=job)
        self.assertEqual(second, {'duplicate': True, 'runId': 'run-1', 'jobSha256': job[1]})
        self.assertEqual(self.bucket.gets, gets + ['run-1/job.json'])  # the job only: no part fetched again
        self.assertEqual({k: len(v) for k, v in self.bucket.puts.items()}, puts)  # nothing uploaded again
        self.assertEqual(self.result(), first)
        self.assertEqual(self.served(), '.lib.efsync/r1')

    def test_old_claims_go_and_only_claims(self):
        os.makedirs(self.at('.efsync', 'claims'))
        old, young = 'a' * 64 + '.claim', 'b' * 64 + '.claim'
        for name in (old, young, 'notes.txt'):
            self.write('.efsync/claims/' + name)
        day_ago = time.time() - claim.KEEP_SECONDS - 60
        for name in (old, 'notes.txt'):
            os.utime(self.at('.efsync', 'claims', name), (day_ago, day_ago))
        os.symlink('/etc/passwd', self.at('.efsync', 'claims', 'c' * 64 + '.claim'))
        os.utime(self.at('.efsync', 'claims', 'c' * 64 + '.claim'), (day_ago, day_ago), follow_symlinks=False)
        _, (_, sha) = self.invoke()
        self.assertEqual(sorted(os.listdir(self.at('.efsync', 'claims'))),
                         sorted([young, 'notes.txt', 'c' * 64 + '.claim', sha + '.claim']))

    def test_a_planted_link_in_place_of_the_claim_fails_the_job_before_anything(self):
        job = stage_job(self.bucket)
        os.makedirs(self.at('.efsync', 'claims'))
        os.symlink('../../elsewhere', self.at('.efsync', 'claims', job[1] + '.claim'))
        answer, _ = self.invoke(job=job)
        self.assertEqual(answer['status'], 'error')
        self.assertIn('is a symbolic link that efsync did not make', answer['error'])
        self.assertFalse(os.path.lexists(self.at('lib')))
        self.assertFalse(os.path.exists(self.at('elsewhere')))
        self.assertEqual(self.bucket.puts, {})

    def test_a_root_the_function_cannot_write(self):
        # As the access point's user, in a root directory another user made (EACCES: mkdir(2)).
        with mock.patch('os.mkdir', side_effect=PermissionError(13, 'Permission denied')):
            answer, _ = self.invoke()
        self.assertTrue(answer['error'].startswith('the function cannot write %s as user %d' % (
            json.dumps(self.at('.efsync')), os.geteuid())), answer['error'])
        self.assertEqual(self.bucket.puts, {})


class Refused(Invocation):
    def test_a_job_that_does_not_match_its_sha256_is_refused_before_anything(self):
        url, sha = stage_job(self.bucket)
        answer, _ = self.invoke(job=(url, 'f' * 64))
        self.assertEqual((answer['status'], answer['runId'], answer['jobSha256'], answer['targets']),
                         ('error', None, None, []))
        self.assertEqual(answer['error'], 'the job does not match its sha256 in the event: refusing it; nothing was '
                                          'done')
        self.assertEqual(self.bucket.gets, ['run-1/job.json'])
        self.assertNothingWritten()

    def test_a_job_of_another_run_is_refused(self):
        job = stage_job(self.bucket, 'run-1')
        answer = lambda_handler.handler(event('run-2', job), Context())
        self.assertEqual((answer['status'], answer['runId'], answer['jobSha256']), ('error', None, None))
        self.assertEqual(answer['error'], 'the job is for run "run-1", the event for run "run-2": refusing it; '
                                          'nothing was done')
        self.assertNothingWritten()

    def test_a_job_for_another_file_system_is_refused(self):
        with mock.patch.dict(os.environ, {'EFSYNC_FILE_SYSTEM_ID': 'fs-0000000000000000f'}):
            answer, _ = self.invoke()
        self.assertEqual(answer['error'], 'the job is for file system fs-0123456789abcdef0, the function mounts '
                                          'fs-0000000000000000f: refusing it; nothing was done')
        self.assertNothingWritten()

    def test_events_of_another_shape(self):
        job = ('https://bucket.s3.amazonaws.com/job.json?X-Amz-Signature=1', 'a' * 64)
        good = event('run-1', job)
        for bad, message in (
                ([], 'not an efsync event of version 1'),
                (dict(good, efsync=2), 'not an efsync event of version 1'),
                (dict(good, efsync=True), 'not an efsync event of version 1'),
                (dict(good, runId=''), 'the event has no runId'),
                (dict(good, job={'url': 'file:///etc/passwd', 'sha256': 'a' * 64}),
                 'the event has no http(s) URL of the job'),
                (dict(good, job={'url': 'https://b/job json', 'sha256': 'a' * 64}),
                 'the event has no http(s) URL of the job'),
                (dict(good, job={'url': job[0], 'sha256': 'A' * 64}),
                 'the event has no sha256 of the job (64 lowercase hex digits)')):
            with self.assertRaises(lambda_handler.EventError) as caught:
                lambda_handler.handler(bad, Context())
            self.assertEqual(str(caught.exception), 'efsync agent: ' + message)
        self.assertEqual(self.bucket.gets, [])

    def test_the_mount_path_must_be_one_lambda_mounts(self):
        with mock.patch.object(lambda_handler, 'mount_path', MOUNT_PATH):  # the real one, not the test's folder
            for value, error in ((None, 'EFSYNC_MOUNT_PATH is not set: the function must name the LocalMountPath of '
                                        'its file system'),
                                 ('/tmp', 'EFSYNC_MOUNT_PATH "/tmp" is not a mount path of a Lambda function (/mnt/ '
                                          'and one name)'),
                                 ('/mnt/efs/sub', 'EFSYNC_MOUNT_PATH "/mnt/efs/sub" is not a mount path of a Lambda '
                                                  'function (/mnt/ and one name)'),
                                 (NOT_MOUNTED, 'nothing is mounted at EFSYNC_MOUNT_PATH "%s": the function needs a '
                                               'file system configuration (its access point, mounted at that '
                                               'LocalMountPath)' % NOT_MOUNTED)):
                env = {k: v for k, v in os.environ.items() if k != 'EFSYNC_MOUNT_PATH'}
                if value is not None:
                    env['EFSYNC_MOUNT_PATH'] = value
                with mock.patch.dict(os.environ, env, clear=True):
                    answer = lambda_handler.handler(event('run-1', ('http://127.0.0.1:9/job', 'a' * 64)), Context())
                self.assertEqual((answer['status'], answer['error']), ('error', error))
            with mock.patch.dict(os.environ, {'EFSYNC_MOUNT_PATH': '/mnt/efs'}):
                with mock.patch('os.path.ismount', return_value=True):
                    self.assertEqual(lambda_handler.mount_path(), '/mnt/efs')
        self.assertEqual(self.bucket.gets, [])  # refused before the job is fetched


MOUNT_PATH = lambda_handler.mount_path
NOT_MOUNTED = '/mnt/efsync-test-' + os.urandom(4).hex()


class Deadline(Invocation):
    def test_too_little_time_left_refuses_the_job_unclaimed(self):
        answer, job = self.invoke(ms=3000)
        self.assertEqual(answer['status'], 'error')
        self.assertTrue(answer['error'].startswith('the function has 3.0 s left of this invocation, too little to '
                                                   'start the job'), answer['error'])
        self.assertNothingWritten()
        # unclaimed: a delivery with time to do it carries it out
        answer, _ = self.invoke(job=job)
        self.assertEqual(answer['status'], 'ok', answer)

    def test_time_running_out_mid_build_stops_and_leaves_the_served_release(self):
        self.invoke()
        with mock.patch.object(deadline, 'MIN_WORK_SECONDS', 0.5):
            # 2 s left: the margin is a quarter of it, so the agent stops 1.5 s in, while the part still comes
            answer, _ = self.invoke('run-2', ms=2000, files={'big.bin': os.urandom(1 << 20)}, release='r2',
                                    base='r1', slow=True)
        self.assertEqual(answer['status'], 'error')
        self.assertRegex(answer['error'], r'^the function\'s time ran out: efsync stopped 0\.\d+ s before the end of '
                                          r'the invocation \(stopped\)\. No target that was not published changed')
        self.assertEqual(self.result('run-2'), answer)
        self.assertEqual(self.served(), '.lib.efsync/r1')
        self.assertEqual(sorted(os.listdir(self.at('.lib.efsync'))), ['history.json', 'r1', 'r1.json'])
        with open(self.at('.efsync.lock')) as f:
            self.assertEqual(f.read(), '')  # released
        self.assertIn('released the file system lock', self.log('run-2'))
        self.assertEqual(os.listdir(self.tmp), [])


class Capacity(unittest.TestCase):
    def test_a_part_larger_than_tmp_is_refused(self):
        job = JobManifest.from_json(job_json())
        job.parts['p1.tar'].size = 1 << 62
        with self.assertRaises(Failure) as caught:
            capacity.capacity(job, tempfile.gettempdir())
        self.assertTrue(str(caught.exception).startswith('staged part "p1.tar" (4294967296.0 GiB) does not fit in '
                                                         'the function\'s'), caught.exception)

    def test_a_release_with_more_folders_than_files_may_be_open(self):
        job = JobManifest.from_json(job_json())
        job.targets[0].dirs = [None] * 5000
        with mock.patch.object(capacity, 'open_files', return_value=1024):
            with self.assertRaises(Failure) as caught:
                capacity.capacity(job, tempfile.gettempdir())
        self.assertIn('a release of this job has 5001 folders', str(caught.exception))

    def test_parts_at_once_are_what_tmp_holds(self):
        job = JobManifest.from_json(job_json(concurrency=8))
        free = os.statvfs(tempfile.gettempdir())
        job.parts['p1.tar'].size = free.f_bavail * free.f_frsize // 3 + 1
        fits = capacity.capacity(job, tempfile.gettempdir())
        self.assertEqual(fits.threads, 8)
        self.assertLessEqual(fits.parts, 2)


if __name__ == '__main__':
    unittest.main()
