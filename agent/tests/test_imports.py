"""verify-imports: a new dependency release imported module by module before its switch, each in a fresh interpreter
that sees only the release and the standard library; a module that fails stops the switch, naming it."""
import json
import os
import unittest
from unittest import mock

from efsync_agent.common import EXIT, STOP, Failure
from efsync_agent.fs import Dir
from efsync_agent.imports import find_modules, import_one, verify_imports
from efsync_agent.job import JobManifest
from efsync_agent.result import AgentResult
from efsync_agent.run import run_targets
from support import Scratch, file_json, job_json, target_json

RAISES = b'raise ImportError("needs libgamma.so")\n'


class Modules(Scratch):
    def test_lists_packages_modules_and_what_is_inside_a_namespace_package(self):
        for rel in ('alpha/__init__.py', 'beta/__init__.cpython-313-x86_64-linux-gnu.so', 'six.py',
                    '_cffi_backend.cpython-313-x86_64-linux-gnu.so', 'fast.abi3.so', 'plain.so',
                    'google/protobuf/__init__.py', 'google/api/__init__.py', 'google/api/core.py', 'nspkg/mod.py',
                    'empty_ns/README', 'alpha-1.0.dist-info/METADATA', 'alpha-1.0.data/scripts/x', 'numpy.libs/a.so',
                    '__pycache__/six.cpython-313.pyc', 'bin/tool', 'README.txt', 'setup-helper.py', 'x.pth'):
            self.write(rel)
        os.symlink('alpha', self.at('linked'))
        os.symlink('six.py', self.at('linked_mod.py'))
        self.assertEqual(find_modules(self.root.fd), [
            '_cffi_backend', 'alpha', 'beta', 'empty_ns', 'fast', 'google.api', 'google.protobuf', 'nspkg.mod',
            'plain', 'six'])


class Imports(Scratch):
    def release(self, files):
        for rel, data in files.items():
            self.write(os.path.join('rel', rel), data)
        release = Dir.open(self.at('rel'))
        self.addCleanup(release.close)
        return release

    def test_each_module_imports_and_nothing_is_written_into_the_release(self):
        release = self.release({'alpha/__init__.py': b'from . import inner\n', 'alpha/inner.py': b'import json\n',
                                'six.py': b'X = 1\n', 'google/api/__init__.py': b'import google.api\n'})
        before = sorted(os.walk(self.at('rel')))
        verify_imports(release, [])
        self.assertEqual(sorted(os.walk(self.at('rel'))), before)  # no __pycache__: -B
        self.assertIn('imported 3 module(s) of release rel in', self.out.getvalue())

    def test_a_module_that_raises_fails_naming_it_and_its_exception(self):
        release = self.release({'alpha/__init__.py': b'', 'gamma/__init__.py': RAISES})
        with self.assertRaises(Failure) as caught:
            verify_imports(release, [])
        self.assertEqual(str(caught.exception), 'the new dependency release does not import: module gamma raised '
                         'ImportError: needs libgamma.so. Nothing was switched: the served release is as it was')
        self.assertIn('module "gamma" raised ImportError: needs libgamma.so; the end of its error output:',
                      self.out.getvalue())
        self.assertFalse(STOP.is_set())

    def test_several_failures_name_the_first_and_count_the_rest(self):
        release = self.release({'a1.py': b'import nowhere_to_be_found\n', 'b2.py': b'1/0\n', 'c3.py': b''})
        with self.assertRaises(Failure) as caught:
            verify_imports(release, [])
        self.assertEqual(str(caught.exception), 'the new dependency release does not import: module a1 raised '
                         "ModuleNotFoundError: No module named 'nowhere_to_be_found' (and 1 more module(s), in the "
                         'log). Nothing was switched: the served release is as it was')
        self.assertIn('module "b2" raised ZeroDivisionError: division by zero', self.out.getvalue())

    def test_skipped_modules_are_not_imported_a_dotted_name_inside_a_namespace_package(self):
        release = self.release({'gamma/__init__.py': RAISES, 'google/api/__init__.py': RAISES,
                                'google/protobuf/__init__.py': b''})
        verify_imports(release, ['gamma', 'google.api', 'absent'])
        out = self.out.getvalue()
        self.assertIn('verify-imports-skip names absent, which the release does not have as a module', out)
        self.assertIn('not gamma, google.api (verify-imports-skip)', out)
        self.assertIn('imported 1 module(s)', out)

    def test_only_the_release_and_the_standard_library_are_on_the_path_and_no_credential_in_the_environment(self):
        # The agent itself is importable here (the test runs with it on PYTHONPATH); the release's interpreter is not.
        release = self.release({'uses_agent.py': b'import efsync_agent\n',
                                'reads_keys.py': b'import os\nif "AWS_SECRET_ACCESS_KEY" in os.environ:\n'
                                                 b'    raise RuntimeError("sees the writer\'s credentials")\n',
                                'uses_stdlib.py': b'import json, sqlite3, ssl\n'})
        with mock.patch.dict(os.environ, {'AWS_SECRET_ACCESS_KEY': 'secret', 'PYTHONPATH': os.getcwd()}):
            with self.assertRaises(Failure) as caught:
                verify_imports(release, [])
        self.assertIn("module uses_agent raised ModuleNotFoundError: No module named 'efsync_agent'",
                      str(caught.exception))
        self.assertNotIn('reads_keys', self.out.getvalue().split('the end of its error output')[0])
        self.assertNotIn('module "reads_keys"', self.out.getvalue())

    def test_a_module_that_hangs_is_stopped_and_one_that_crashes_is_named_with_its_signal(self):
        release = self.release({'slow.py': b'import time\ntime.sleep(30)\n',
                                'crash.py': b'import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n',
                                'quits.py': b'import sys\nsys.exit(3)\n'})
        scratch = self.at('work')
        os.mkdir(scratch)
        self.assertEqual(import_one(release.fd, 'slow', scratch, seconds=1)[0], 'did not import within 1 s')
        self.assertEqual(import_one(release.fd, 'crash', scratch)[0], 'killed its interpreter with SIGSEGV')
        self.assertEqual(import_one(release.fd, 'quits', scratch)[0], 'exited with code 3 while importing')


class BeforeTheSwitch(Scratch):
    """Target lib serving release r1, whose module gamma the new release keeps; r2 is to be built from it."""

    def setUp(self):
        super().setUp()
        self.write('.lib.efsync/r1/gamma/__init__.py', RAISES)
        entry = {'path': 'gamma/__init__.py', 'size': len(RAISES), 'mode': 0o644}
        self.write('.lib.efsync/r1.json', ('{"files": [\n%s\n], "dirs": []}\n' % json.dumps(entry)).encode())
        os.symlink('.lib.efsync/r1', self.at('lib'))

    def sync(self, kind='pip', **over):
        files = [file_json('gamma/__init__.py', RAISES, source={'from': 'base'})]
        target = target_json(release='r2', base='r1', files=files, dirs=[{'path': 'gamma', 'mode': 0o755}], kind=kind)
        result = AgentResult()
        code = run_targets(JobManifest.from_json(job_json([target], parts=[], **over)), self.root, result)
        return code, result

    def test_a_release_that_does_not_import_is_never_served_and_is_removed(self):
        with self.assertRaises(Failure) as caught:
            self.sync(verifyImports={'skip': []})
        self.assertIn('module gamma raised ImportError: needs libgamma.so', str(caught.exception))
        self.assertEqual(os.readlink(self.at('lib')), '.lib.efsync/r1')
        self.assertEqual(sorted(os.listdir(self.at('.lib.efsync'))), ['r1', 'r1.json'])

    def test_skipped_it_is_served(self):
        code, _ = self.sync(verifyImports={'skip': ['gamma']})
        self.assertEqual((code, os.readlink(self.at('lib'))), (EXIT['ok'], '.lib.efsync/r2'))

    def test_without_verify_imports_nothing_is_imported(self):
        self.assertEqual(self.sync(), (EXIT['ok'], mock.ANY))
        self.assertEqual(os.readlink(self.at('lib')), '.lib.efsync/r2')
        self.assertNotIn('importing', self.out.getvalue())

    def test_a_target_other_than_the_dependencies_is_not_imported(self):
        self.assertEqual(self.sync(kind='local', verifyImports={'skip': []}), (EXIT['ok'], mock.ANY))
        self.assertEqual(os.readlink(self.at('lib')), '.lib.efsync/r2')
        self.assertNotIn('importing', self.out.getvalue())


class Job(unittest.TestCase):
    def test_verify_imports_and_kind_are_checked(self):
        self.assertEqual(JobManifest.from_json(job_json(verifyImports={'skip': ['yaml', 'google.api']}))
                         .verify_imports.skip, ['yaml', 'google.api'])
        self.assertIsNone(JobManifest.from_json(job_json()).verify_imports)
        for bad in ({'skip': ['a-b']}, {'skip': 'yaml'}, {}, [], {'skip': ['yaml\n']}):
            with self.assertRaises(Failure) as caught:
                JobManifest.from_json(job_json(verifyImports=bad))
            self.assertEqual(str(caught.exception), 'invalid verifyImports: its skip must be a list of module names')
        with self.assertRaises(Failure):
            JobManifest.from_json(job_json([target_json(kind='wheel')]))


if __name__ == '__main__':
    unittest.main()
