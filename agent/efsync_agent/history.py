"""A target's history: which release a rollback serves, and which releases pruning removes."""
from __future__ import annotations

import datetime
import time

from .common import Failure, need, q, utc
from .job import is_id


def parse_utc(text):
    """Seconds since the epoch of a time utc() wrote; None for anything else."""
    try:
        return datetime.datetime.strptime(text, '%Y-%m-%dT%H:%M:%SZ').replace(
            tzinfo=datetime.timezone.utc).timestamp()
    except (TypeError, ValueError):
        return None


class History:
    """Every switch of a target, oldest first (history.json): which release it served, since when, until when (null
    while it serves), and whether it was rolled back from. Times are utc(), null where unknown.

    {"version": 2, "switches": [{"release": "r1", "since": "...", "until": "...", "rolledBackFrom": false}, ...]}

    The first format, a plain list of release ids in publish order, is still read: each id a switch, in turn. Its
    releases stopped serving at times it does not record, so they count as stopped when first read (the latest they
    can have stopped, so min-age pruning never comes early); an id after the served one was rolled back from, since
    a rollback of that format left the list as it was."""

    def __init__(self, switches):
        self.switches = switches

    @classmethod
    def load(cls, folder, current):
        try:
            raw = folder.read_json('history.json')
        except FileNotFoundError:
            return cls([])
        except (OSError, ValueError) as e:
            raise Failure('cannot read %s: %s' % (q(folder.join('history.json')), e))
        if isinstance(raw, list):
            ids, now = [i for i in raw if is_id(i)], utc()
            at = max((n for n, i in enumerate(ids) if i == current), default=len(ids) - 1)
            # The last id serves still if it is the one served; otherwise reconcile() adds a switch to the one served.
            return cls([{'release': i, 'since': None, 'until': None if n == at == len(ids) - 1 else now,
                         'rolledBackFrom': n > at} for n, i in enumerate(ids)])
        need(isinstance(raw, dict) and raw.get('version') == 2 and isinstance(raw.get('switches'), list),
             'cannot read %s: not a history efsync wrote' % q(folder.join('history.json')))
        switches = []
        for s in raw['switches']:
            if isinstance(s, dict) and is_id(s.get('release')):  # well-formed ids only: pruning removes them
                switches.append({'release': s['release'],
                                 'since': s['since'] if isinstance(s.get('since'), str) else None,
                                 'until': s['until'] if isinstance(s.get('until'), str) else None,
                                 'rolledBackFrom': s.get('rolledBackFrom') is True})
        return cls(switches)

    def to_json(self):
        return {'version': 2, 'switches': self.switches}

    def serving(self):
        last = self.switches[-1] if self.switches else None
        return last['release'] if last and last['until'] is None else None

    def ids(self):
        """The releases named, each once, the most recently served last."""
        last = {s['release']: n for n, s in enumerate(self.switches)}
        return sorted(last, key=last.get)

    def stop(self, rolled_back=False):
        for s in self.switches:
            if s['until'] is None:
                s['until'], s['rolledBackFrom'] = utc(), rolled_back

    def reconcile(self, current):
        """Makes the history say what the target serves: a run killed between a switch and the history's update left
        it behind by one switch, whose start time is unknown."""
        if current is not None and self.serving() != current:
            self.stop()
            self.switches.append({'release': current, 'since': None, 'until': None, 'rolledBackFrom': False})

    def switch(self, rid, rolled_back=False):
        """Records a switch to rid: the release served until now stops, rolled back from or not."""
        self.stop(rolled_back)
        self.switches.append({'release': rid, 'since': utc(), 'until': None, 'rolledBackFrom': False})

    def add_stopped(self, rid):
        self.switches.append({'release': rid, 'since': None, 'until': utc(), 'rolledBackFrom': False})

    def previous(self, current, exists):
        """What a rollback serves: the release that served before the current one, passing over the current one
        itself, any release ever rolled back from, and releases that are gone."""
        bad = {s['release'] for s in self.switches if s['rolledBackFrom']}
        for s in reversed(self.switches):
            rid = s['release']
            if rid != current and rid not in bad and exists(rid):
                return rid
        return None

    def prune(self, keep, minutes, now=None):
        """Takes out of the history, and returns, the releases to remove: those beyond the `keep` most recently served
        that stopped serving at least `minutes` ago. A release that stopped more recently stays: a Lambda may still
        read it through a path it pinned (os.path.realpath of the target) while it served."""
        now = time.time() if now is None else now
        ids = self.ids()
        until = {s['release']: s['until'] for s in self.switches}  # the last switch of each
        pruned = []
        for rid in ids[:max(len(ids) - keep, 0)]:
            stopped = parse_utc(until[rid])
            if stopped is not None and now - stopped >= minutes * 60:
                pruned.append(rid)
        self.switches = [s for s in self.switches if s['release'] not in pruned]
        return pruned

    def kept_young(self, keep):
        """The releases beyond `keep` that prune() left for their age."""
        ids = self.ids()
        return ids[:max(len(ids) - keep, 0)]
