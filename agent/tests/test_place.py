"""A writer function mounting the file system's root as root writes a run's access point's place as EFS would for a
client of that access point: under its root directory, made as its CreationInfo says, everything given its POSIX
user; what is outside the place (the job's claim) stays root's."""
import os

from efsync_agent.common import Failure
from efsync_agent.job import JobManifest
from support import job_json
from test_lambda_handler import Invocation

PLACE = {'root': '/lambda/app', 'owner': {'uid': 1000, 'gid': 1001},
         'creation': {'uid': 1000, 'gid': 1001, 'permissions': '750'}}


class WritesThePlace(Invocation):
    def owners(self, top):
        """(path, uid, gid) of every entry under `top`, links themselves."""
        found = []
        for folder, dirs, files in os.walk(top):
            for name in dirs + files:
                st = os.lstat(os.path.join(folder, name))
                found.append((os.path.relpath(os.path.join(folder, name), top), st.st_uid, st.st_gid))
        return found

    def test_everything_under_the_root_directory_is_the_access_point_user_s(self):
        answer, _ = self.invoke(place=PLACE)
        self.assertEqual(answer['status'], 'ok', answer)
        place = self.at('lambda', 'app')
        self.assertEqual(os.readlink(os.path.join(place, 'lib')), '.lib.efsync/r1')
        with open(os.path.join(place, 'lib', 'pkg', 'b.py'), 'rb') as f:
            self.assertEqual(f.read(), b'print(2)\n')
        # the root directory, made as CreationInfo says, each missing level
        for level in (self.at('lambda'), place):
            st = os.stat(level)
            self.assertEqual((st.st_uid, st.st_gid, st.st_mode & 0o7777), (1000, 1001, 0o750), level)
        owners = self.owners(place)
        self.assertGreater(len(owners), 5)
        self.assertEqual([o for o in owners if o[1:] != (1000, 1001)], [])
        # a second run links the unchanged file: every entry still the access point user's
        answer, _ = self.invoke('run-2', files={'c.txt': b'new'}, release='r2', base='r1',
                                kept=[('a.txt', b'alpha\n')], place=PLACE)
        self.assertEqual(answer['status'], 'ok', answer)
        self.assertEqual([o for o in self.owners(place) if o[1:] != (1000, 1001)], [])
        # the claims are the function's own, at the file system's root
        st = os.stat(self.at('.efsync', 'claims'))
        self.assertEqual(st.st_uid, os.geteuid())
        self.assertIn('writes under "/lambda/app" as uid 1000 gid 1001', self.log('run-1'))

    def test_an_existing_root_directory_keeps_its_owner_and_mode(self):
        os.makedirs(self.at('lambda', 'app'), 0o755)
        os.chown(self.at('lambda', 'app'), 2000, 2000)
        answer, _ = self.invoke(place=PLACE)
        self.assertEqual(answer['status'], 'ok', answer)
        st = os.stat(self.at('lambda', 'app'))
        self.assertEqual((st.st_uid, st.st_mode & 0o777), (2000, 0o755))
        self.assertEqual(os.lstat(self.at('lambda', 'app', 'lib')).st_uid, 1000)

    def test_a_missing_root_directory_without_creation_info_fails_before_anything(self):
        place = {'root': '/lambda', 'owner': {'uid': 1000, 'gid': 1000}}
        answer, _ = self.invoke(place=place)
        self.assertEqual(answer['status'], 'error')
        self.assertIn('the access point\'s root directory "/lambda" does not exist', answer['error'])
        self.assertEqual(sorted(os.listdir(self.path)), ['.efsync'])

    def test_a_link_in_place_of_the_root_directory_is_not_followed(self):
        os.mkdir(self.at('elsewhere'))
        os.symlink('elsewhere', self.at('lambda'))
        answer, _ = self.invoke(place={'root': '/lambda', 'owner': {'uid': 1000, 'gid': 1000}})
        self.assertEqual(answer['status'], 'error')
        self.assertIn('symbolic link', answer['error'])
        self.assertEqual(os.listdir(self.at('elsewhere')), [])

    def test_a_job_without_a_place_writes_the_root_as_the_process(self):
        answer, _ = self.invoke()
        self.assertEqual(answer['status'], 'ok', answer)
        self.assertEqual(os.lstat(self.at('lib')).st_uid, os.geteuid())


class ParsesThePlace(Invocation):
    def test_a_place_is_an_absolute_root_directory_and_32_bit_ids(self):
        job = JobManifest.from_json(job_json(place=PLACE))
        self.assertEqual((job.place.names, job.place.owner, job.place.creation),
                         (['lambda', 'app'], (1000, 1001), (1000, 1001, 0o750)))
        self.assertIsNone(JobManifest.from_json(job_json()).place)
        for bad in ({'root': 'lambda'}, {'root': '/a/../b'}, {'root': '/' + 'a' * 100},
                    {'root': '/x', 'owner': {'uid': -1, 'gid': 0}}, {'root': '/x', 'owner': {'uid': True, 'gid': 0}},
                    {'root': '/x', 'owner': {'uid': 1 << 32, 'gid': 0}},
                    {'root': '/x', 'creation': {'uid': 0, 'gid': 0, 'permissions': '999'}}, 'x'):
            with self.assertRaises(Failure, msg=bad):
                JobManifest.from_json(job_json(place=bad))


class RefusedOwners(Invocation):
    def test_a_function_that_may_not_change_owners_fails_saying_what_it_needs(self):
        from unittest import mock

        def refused(*_args, **_kwargs):
            raise PermissionError(1, 'Operation not permitted')
        with mock.patch('os.fchown', refused), mock.patch('os.chown', refused):
            answer, _ = self.invoke(place={'root': '/lambda', 'owner': {'uid': 1000, 'gid': 1000},
                                           'creation': {'uid': 1000, 'gid': 1000, 'permissions': '755'}})
        self.assertEqual(answer['status'], 'error')
        self.assertIn('cannot give what it writes the access point\'s owner, uid 1000 gid 1000 (Operation not '
                      'permitted): the writer function must mount the file system\'s root as root', answer['error'])
        self.assertEqual(sorted(os.listdir(self.path)), ['.efsync'])  # the root directory it made is gone again
