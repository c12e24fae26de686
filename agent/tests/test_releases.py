"""Releases on the file system: a sync builds one beside the served one and switches to it, pruning keeps the
`keepReleases` most recently served (and the young), a rollback serves the one before."""
import datetime
import json
import os
import unittest

from efsync_agent.common import EXIT, Failure
from efsync_agent.history import History
from efsync_agent.job import JobManifest
from efsync_agent.result import AgentResult
from efsync_agent.run import run_targets
from support import Scratch, file_json, job_json, target_json

NOW = 1_800_000_000.0  # a fixed "now", so that ages are exact


def at(seconds_ago):
    return datetime.datetime.fromtimestamp(NOW - seconds_ago, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def switch(release, until, rolled_back=False):
    return {'release': release, 'since': None, 'until': until, 'rolledBackFrom': rolled_back}


class Previous(unittest.TestCase):
    def test_passes_over_releases_rolled_back_from_and_gone_ones(self):
        history = History([switch('v1', at(50)), switch('v2', at(40)), switch('v3', at(30), True),
                           switch('v2', at(20)), switch('v4', None)])
        self.assertEqual(history.previous('v4', lambda r: True), 'v2')
        self.assertEqual(history.previous('v4', lambda r: r != 'v2'), 'v1')
        self.assertIsNone(history.previous('v4', lambda r: r == 'v3'))


class Prune(unittest.TestCase):
    def test_beyond_keep_and_old_enough_only(self):
        history = History([switch('r1', at(7200)), switch('r2', at(600)), switch('r3', None)])
        self.assertEqual(history.prune(keep=1, minutes=60, now=NOW), ['r1'])
        self.assertEqual(history.ids(), ['r2', 'r3'])
        self.assertEqual(history.kept_young(keep=1), ['r2'])

    def test_counts_a_release_by_its_last_switch(self):
        # r1 served again after r2: r2 is the older one now.
        history = History([switch('r1', at(9000)), switch('r2', at(8000)), switch('r1', at(7000)),
                           switch('r3', None)])
        self.assertEqual(history.prune(keep=2, minutes=60, now=NOW), ['r2'])

    def test_unknown_stop_time_is_never_old_enough(self):
        history = History([switch('r1', None), switch('r2', None)])
        self.assertEqual(history.prune(keep=1, minutes=0, now=NOW), [])

    def test_reconcile_records_a_switch_the_history_missed(self):
        history = History([switch('r1', None)])
        history.reconcile('r2')
        self.assertEqual([(s['release'], s['until'] is None) for s in history.switches], [('r1', False), ('r2', True)])


class OnDisk(Scratch):
    """Target lib serving release r1, laid out as the agent lays it out, with one file, a.txt."""

    def setUp(self):
        super().setUp()
        self.write('.lib.efsync/r1/a.txt', b'kept')
        # A tree as the agent writes it, a file a line (BaseVerified reads it so).
        entry = {'path': 'a.txt', 'size': 4, 'mode': 0o644, 'verified': 'md5'}
        self.write('.lib.efsync/r1.json', ('{"files": [\n%s\n], "dirs": []}\n' % json.dumps(entry)).encode())
        os.symlink('.lib.efsync/r1', self.at('lib'))

    def run_job(self, targets, **over):
        result = AgentResult()
        code = run_targets(JobManifest.from_json(job_json(targets, parts=[], **over)), self.root, result)
        return code, result

    def sync(self, release='r2', base='r1', **over):
        files = [file_json('a.txt', b'kept', source={'from': 'base'})]
        return self.run_job([target_json(release=release, base=base, files=files,
                                         dirs=[{'path': 'empty', 'mode': 0o750}])], **over)

    def served(self):
        return os.readlink(self.at('lib'))

    def history(self):
        with open(self.at('.lib.efsync', 'history.json')) as f:
            return [(s['release'], s['rolledBackFrom']) for s in json.load(f)['switches']]

    def test_a_sync_builds_the_release_beside_the_served_one_and_switches(self):
        code, result = self.sync()
        self.assertEqual(code, EXIT['ok'])
        t = result.targets[0]
        self.assertEqual((t.status, t.previous_release_id, t.files_linked, t.files_written), ('published', 'r1', 1, 0))
        self.assertEqual(self.served(), '.lib.efsync/r2')
        # an unchanged file is a hard link of the base release's
        self.assertEqual(os.stat(self.at('lib', 'a.txt')).st_ino, os.stat(self.at('.lib.efsync', 'r1', 'a.txt')).st_ino)
        self.assertEqual(os.stat(self.at('lib', 'empty')).st_mode & 0o777, 0o750)
        with open(self.at('.lib.efsync', 'r2.json')) as f:
            self.assertEqual(json.load(f)['files'][0]['verified'], 'md5')  # what the base release's tree says
        self.assertEqual(self.history(), [('r1', False), ('r2', False)])

    def test_a_sync_prunes_beyond_keep_releases(self):
        code, result = self.sync(keepReleases=1)
        self.assertEqual((code, result.targets[0].releases_pruned), (EXIT['ok'], ['r1']))
        self.assertEqual(sorted(os.listdir(self.at('.lib.efsync'))), ['history.json', 'r2', 'r2.json'])
        self.assertEqual(self.history(), [('r2', False)])

    def test_a_sync_keeps_a_release_that_stopped_serving_too_recently(self):
        code, result = self.sync(keepReleases=1, keepReleasesMinutes=60)
        self.assertEqual((code, result.targets[0].releases_pruned), (EXIT['ok'], []))
        self.assertIn('kept releases r1 beyond keep-releases 1', self.out.getvalue())
        self.assertTrue(os.path.isdir(self.at('.lib.efsync', 'r1')))

    def test_a_plan_against_another_base_writes_nothing(self):
        code, result = self.sync(base='r0')
        self.assertEqual((code, result.status, result.targets[0].actual_release_id),
                         (EXIT['baseMismatch'], 'base-mismatch', 'r1'))
        self.assertEqual(sorted(os.listdir(self.at('.lib.efsync'))), ['r1', 'r1.json'])

    def test_a_rollback_serves_the_release_before_and_never_the_one_rolled_back_from(self):
        self.sync()
        code, result = self.run_job([{'target': 'lib', 'action': 'rollback'}])
        t = result.targets[0]
        self.assertEqual((code, t.status, t.release_id, t.previous_release_id), (EXIT['ok'], 'rolled-back', 'r1', 'r2'))
        self.assertEqual(t.tree['files'][0]['path'], 'a.txt')
        self.assertEqual(self.served(), '.lib.efsync/r1')
        self.assertEqual(self.history(), [('r1', False), ('r2', True), ('r1', False)])
        with self.assertRaises(Failure) as caught:
            self.run_job([{'target': 'lib', 'action': 'rollback'}])
        self.assertEqual(str(caught.exception), 'cannot roll back %s: no release before r1 is left (keep-releases '
                         'prunes older ones, and a release rolled back from is never served again by a rollback)'
                         % json.dumps(self.at('lib')))


if __name__ == '__main__':
    unittest.main()
