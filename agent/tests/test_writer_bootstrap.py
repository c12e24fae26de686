"""The writer function's own code (agent/writer/index.py): the agent is downloaded, checked, kept by its sha256 and
run; nothing unchecked ever runs, and no presigned URL is printed."""
import contextlib
import importlib.util
import io
import os
import shutil
import sys
import tempfile
import unittest
from unittest import mock

from served import Bucket, Context, agent_pyz, event, fake_agent, forget_agent, sha256, stage_job

INDEX = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'writer', 'index.py')


def load_index():
    """index.py as Lambda loads it: a module of its own, fresh as in a new execution environment."""
    spec = importlib.util.spec_from_file_location('index', INDEX)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Writer(unittest.TestCase):
    def setUp(self):
        self.addCleanup(forget_agent())
        self.bucket = Bucket()
        self.addCleanup(self.bucket.close)
        self.tmp = tempfile.mkdtemp(prefix='efsync-writer-tmp-')
        self.addCleanup(shutil.rmtree, self.tmp, True)
        env = mock.patch.dict(os.environ, {'TMPDIR': self.tmp})
        env.start()
        self.addCleanup(env.stop)
        os.environ.pop('EFSYNC_MOUNT_PATH', None)
        self.out = io.StringIO()
        quiet = contextlib.redirect_stdout(self.out)
        quiet.__enter__()
        self.addCleanup(quiet.__exit__, None, None, None)
        self.index = load_index()

    def agent(self, name, data):
        return self.bucket.put(name, data), sha256(data)

    def invoke(self, agent, run_id='run-1', job=('http://127.0.0.1:9/job.json', 'a' * 64)):
        return self.index.handler(event(run_id, job, agent), Context())

    def cached(self):
        return sorted(os.listdir(os.path.join(self.tmp, 'efsync-agent')))


class RunsTheAgent(Writer):
    def test_runs_the_agent_that_ships_and_answers_with_its_answer(self):
        agent = self.agent('agent.pyz', agent_pyz())
        job = stage_job(self.bucket)
        # The function without its mount path: the real agent's own answer says so.
        answer = self.invoke(agent, job=job)
        self.assertEqual((answer['status'], answer['error']), ('error', 'EFSYNC_MOUNT_PATH is not set: the function '
                                                                        'must name the LocalMountPath of its file '
                                                                        'system'))
        self.assertEqual(sys.modules['efsync_agent'].__file__,
                         os.path.join(self.tmp, 'efsync-agent', agent[1] + '.pyz', 'efsync_agent', '__init__.py'))
        # The same agent again, warm: not downloaded again; the file system is a folder standing for Lambda's mount.
        mount = tempfile.mkdtemp(prefix='efsync-writer-fs-')
        self.addCleanup(shutil.rmtree, mount, True)
        with mock.patch.object(sys.modules['efsync_agent.lambda_handler'], 'mount_path', return_value=mount):
            answer = self.invoke(agent, job=job)
        self.assertEqual((answer['status'], answer['runId'], answer['jobSha256']), ('ok', 'run-1', job[1]), answer)
        self.assertEqual(os.readlink(os.path.join(mount, 'lib')), '.lib.efsync/r1')
        self.assertEqual(self.bucket.gets.count('agent.pyz'), 1)
        self.assertNotIn(self.bucket.secret, self.out.getvalue())
        self.assertIn('efsync writer: downloaded agent %s (%d bytes) from 127.0.0.1:%d/agent.pyz in '
                      % (agent[1], len(agent_pyz()), self.bucket.server.server_address[1]), self.out.getvalue())

    def test_keeps_the_agent_by_its_sha256_and_replaces_it_with_another(self):
        a, b = self.agent('a.pyz', fake_agent('A')), self.agent('b.pyz', fake_agent('B'))
        self.assertEqual(self.invoke(a), {'agent': 'A', 'runId': 'run-1'})
        self.assertEqual(self.invoke(a, 'run-2'), {'agent': 'A', 'runId': 'run-2'})
        self.assertEqual(self.bucket.gets, ['a.pyz'])
        self.assertEqual(self.cached(), [a[1] + '.pyz'])
        self.assertEqual(self.invoke(b, 'run-3'), {'agent': 'B', 'runId': 'run-3'})
        self.assertEqual(self.bucket.gets, ['a.pyz', 'b.pyz'])
        self.assertEqual(self.cached(), [b[1] + '.pyz'])
        self.assertEqual(self.invoke(a, 'run-4'), {'agent': 'A', 'runId': 'run-4'})  # and back, downloaded again
        self.assertEqual(self.bucket.gets, ['a.pyz', 'b.pyz', 'a.pyz'])

    def test_a_copy_left_in_tmp_is_checked_before_it_runs(self):
        a = self.agent('a.pyz', fake_agent('A'))
        os.makedirs(os.path.join(self.tmp, 'efsync-agent'))
        with open(os.path.join(self.tmp, 'efsync-agent', a[1] + '.pyz'), 'wb') as f:
            f.write(fake_agent('tampered'))
        self.assertEqual(self.invoke(a), {'agent': 'A', 'runId': 'run-1'})
        self.assertEqual(self.bucket.gets, ['a.pyz'])
        # an intact copy, in a new execution environment with the same /tmp: used as it is
        self.index = load_index()
        self.assertEqual(self.invoke(a, 'run-2'), {'agent': 'A', 'runId': 'run-2'})
        self.assertEqual(self.bucket.gets, ['a.pyz'])


class Refuses(Writer):
    def test_an_agent_that_does_not_match_its_sha256_never_runs(self):
        marker = os.path.join(self.tmp, 'ran')
        url, _ = self.agent('evil.pyz', fake_agent('evil', marker))
        with self.assertRaises(RuntimeError) as caught:
            self.invoke((url, sha256(b'the agent the runner staged')))
        self.assertEqual(str(caught.exception), 'efsync writer: the agent from 127.0.0.1:%d/evil.pyz does not match '
                         'its sha256 %s: refusing to run it' % (self.bucket.server.server_address[1],
                                                                sha256(b'the agent the runner staged')))
        self.assertFalse(os.path.exists(marker))
        self.assertEqual(self.cached(), [])
        self.assertEqual(self.index.loaded, {})
        imported = [n for n, m in sys.modules.items() if (getattr(m, '__file__', None) or '').startswith(self.tmp)]
        self.assertEqual(imported, [])

    def test_an_agent_too_large_or_refused_by_s3(self):
        big = self.agent('big.pyz', fake_agent('big'))
        with mock.patch.object(self.index, 'AGENT_MAX_BYTES', 100):
            with self.assertRaises(RuntimeError) as caught:
                self.invoke(big)
        self.assertIn('big.pyz is larger than 100 bytes: refusing it', str(caught.exception))
        self.bucket.status['gone.pyz'] = 403
        with self.assertRaises(RuntimeError) as caught:
            self.invoke((self.bucket.url('gone.pyz'), 'b' * 64))
        self.assertEqual(str(caught.exception), 'efsync writer: S3 refused the agent at 127.0.0.1:%d/gone.pyz (HTTP '
                         '403: the presigned URL expired, or the object changed)'
                         % self.bucket.server.server_address[1])
        self.assertEqual(self.bucket.gets, ['big.pyz', 'gone.pyz'])  # a refusal is not tried again
        self.assertNotIn(self.bucket.secret, self.out.getvalue())

    def test_s3_out_of_reach(self):
        with mock.patch.object(self.index, 'ATTEMPTS', 1):
            with self.assertRaises(RuntimeError) as caught:
                self.invoke(('http://127.0.0.1:9/a.pyz?' + self.bucket.secret, 'c' * 64))
        self.assertRegex(str(caught.exception), r'^efsync writer: could not download the agent from '
                         r'127\.0\.0\.1:9/a\.pyz after 1 attempts \(cannot connect: .*\): the function\'s subnets need '
                         r'a route to S3 ')
        self.assertNotIn(self.bucket.secret, str(caught.exception))

    def test_events_of_another_shape(self):
        ref = {'url': 'https://bucket.s3.amazonaws.com/a.pyz?X-Amz-Signature=1', 'sha256': 'a' * 64}
        good = {'efsync': 1, 'runId': 'run-1', 'job': dict(ref), 'agent': dict(ref)}
        for bad, message in (
                (None, 'not an efsync event of version 1'),
                ({}, 'not an efsync event of version 1'),
                (dict(good, efsync='1'), 'not an efsync event of version 1'),
                (dict(good, runId=7), 'the event has no runId'),
                (dict(good, job=None), 'the event has no http(s) URL of the job'),
                (dict(good, agent=dict(ref, url='ftp://host/a.pyz')), 'the event has no http(s) URL of the agent'),
                (dict(good, agent=dict(ref, url='https:///a.pyz')), 'the event has no http(s) URL of the agent'),
                (dict(good, agent=dict(ref, url='https://host/a\n.pyz')), 'the event has no http(s) URL of the agent'),
                (dict(good, agent=dict(ref, sha256='a' * 63)),
                 'the event has no sha256 of the agent (64 lowercase hex digits)'),
                (dict(good, job=dict(ref, sha256=None)),
                 'the event has no sha256 of the job (64 lowercase hex digits)')):
            with self.assertRaises(self.index.EventError) as caught:
                self.index.handler(bad, Context())
            self.assertEqual(str(caught.exception), 'efsync writer: ' + message)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, 'efsync-agent')))


if __name__ == '__main__':
    unittest.main()
