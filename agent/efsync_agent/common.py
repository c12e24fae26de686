"""What every part of the agent shares: exit codes, the expected failure, the stop signal, message helpers."""
from __future__ import annotations

import dataclasses
import datetime
import json
import signal
import threading


EXIT = {'ok': 0, 'error': 1, 'baseMismatch': 3, 'lockTimeout': 4, 'mountFailed': 5, 'downloadFailed': 6}

# Set on SIGTERM/SIGINT or on the first failure of a build: download and copy threads stop at their next chunk.
STOP = threading.Event()
SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Failure(Exception):
    """An expected failure; its message becomes the one-line error of the result."""

    def __init__(self, message, code=EXIT['error']):
        super().__init__(message)
        self.code = code


class Interrupted(BaseException):
    """Raised in the main thread by SIGTERM/SIGINT; a BaseException, so no retry loop swallows it."""


def q(text):
    """A path for a message: odd names (newlines, quotes) stay on one line and unambiguous."""
    return json.dumps(text, ensure_ascii=False)


def utc(fmt='%Y-%m-%dT%H:%M:%SZ'):
    return datetime.datetime.now(datetime.timezone.utc).strftime(fmt)


def human(n):
    for unit in ('B', 'KiB', 'MiB', 'GiB'):
        if abs(n) < 1024 or unit == 'GiB':
            return ('%d %s' if unit == 'B' else '%.1f %s') % (n, unit)
        n /= 1024.0


def rel_parts(path, what):
    """The parts of a relative POSIX path; refuses absolute paths and empty, '.' or '..' parts."""
    if not isinstance(path, str) or not path or path.startswith('/') or '\0' in path:
        raise Failure('refusing %s path %s: not a relative path' % (what, q(path)))
    parts = path.split('/')
    if any(p in ('', '.', '..') for p in parts):
        raise Failure('refusing %s path %s: empty, "." or ".." part' % (what, q(path)))
    return parts


def need(ok, message):
    if not ok:
        raise Failure(message)


def camel(name):
    head, *rest = name.split('_')
    return head + ''.join(word.capitalize() for word in rest)


def wire(record, omit=()):
    """A record as its JSON object: the contract's camelCase keys (src/remote/protocol.ts), in field order."""
    return {camel(f.name): getattr(record, f.name) for f in dataclasses.fields(record) if f.name not in omit}
