"""Unit tests of the agent's History (agent/efsync_agent.py), run with Python 3.9 by history-unit.test.ts."""
import importlib.util
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location('efsync_agent', os.path.join(HERE, '..', '..', 'agent', 'efsync_agent.py'))
agent = importlib.util.module_from_spec(spec)
sys.modules['efsync_agent'] = agent  # dataclasses look their module up there
spec.loader.exec_module(agent)

NOW = 1_800_000_000.0  # a fixed "now", so that ages are exact


def at(seconds_ago):
    return agent.datetime.datetime.fromtimestamp(NOW - seconds_ago, agent.datetime.timezone.utc).strftime(
        '%Y-%m-%dT%H:%M:%SZ')


def switch(release, until, rolled_back=False):
    return {'release': release, 'since': None, 'until': until, 'rolledBackFrom': rolled_back}


class Previous(unittest.TestCase):
    def test_passes_over_releases_rolled_back_from_and_gone_ones(self):
        history = agent.History([switch('v1', at(50)), switch('v2', at(40)), switch('v3', at(30), True),
                                 switch('v2', at(20)), switch('v4', None)])
        self.assertEqual(history.previous('v4', lambda r: True), 'v2')
        self.assertEqual(history.previous('v4', lambda r: r != 'v2'), 'v1')
        self.assertIsNone(history.previous('v4', lambda r: r == 'v3'))


class Prune(unittest.TestCase):
    def test_beyond_keep_and_old_enough_only(self):
        history = agent.History([switch('r1', at(7200)), switch('r2', at(600)), switch('r3', None)])
        self.assertEqual(history.prune(keep=1, minutes=60, now=NOW), ['r1'])
        self.assertEqual(history.ids(), ['r2', 'r3'])

    def test_counts_a_release_by_its_last_switch(self):
        # r1 served again after r2: r2 is the older one now.
        history = agent.History([switch('r1', at(9000)), switch('r2', at(8000)), switch('r1', at(7000)),
                                 switch('r3', None)])
        self.assertEqual(history.prune(keep=2, minutes=60, now=NOW), ['r2'])

    def test_unknown_stop_time_is_never_old_enough(self):
        history = agent.History([switch('r1', None), switch('r2', None)])
        self.assertEqual(history.prune(keep=1, minutes=0, now=NOW), [])


if __name__ == '__main__':
    sys.exit(unittest.main())
