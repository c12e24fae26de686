"""The agent's log: timestamped lines on stdout, kept for the upload, never holding a presigned URL; progress."""
from __future__ import annotations

import re
import threading
import time

from .common import human, utc


# The log is uploaded every SHIP_EVERY s and the action reads it every second: a progress line every PROGRESS_EVERY s
# reaches the runner's log at most 5 s after the one before.
SHIP_EVERY = 1.0
PROGRESS_EVERY = 3.0

# Presigned URLs are secrets. Whatever a line holds (an exception text quoting a URL, say), these never get out.
URL = re.compile(r'[A-Za-z][A-Za-z0-9+.-]*://\S+')
SIGNED = re.compile(r'((?:X-Amz-)?(?:Signature|Credential|Security-Token)|AWSAccessKeyId)=[^&\s\'"]+', re.I)


def redact(text):
    return SIGNED.sub(r'\1=***', URL.sub('<url>', text))


class Log:
    """Timestamped lines to stdout, flushed at once (SSM shows output as it comes), and kept for the log upload."""

    def __init__(self):
        self.lines, self.lock = [], threading.Lock()

    def __call__(self, message):
        self.raw('%s %s' % (utc(), message))

    def raw(self, line):
        line = redact(line)
        with self.lock:
            self.lines.append(line)
            print(line, flush=True)

    def reset(self):
        """Forgets the lines so far: a writer function serves one job after another in the same process."""
        with self.lock:
            self.lines = []

    def snapshot(self):
        with self.lock:
            return list(self.lines)

    @staticmethod
    def text(lines):
        return ('\n'.join(lines) + '\n').encode('utf-8', 'replace')


log = Log()


class Progress:
    """Bytes transferred for one target; says so every PROGRESS_EVERY seconds, so only big transfers say anything."""

    def __init__(self, total):
        self.total, self.done, self.lock = total, 0, threading.Lock()
        self.start = self.last = time.monotonic()

    def add(self, n):
        with self.lock:
            self.done += n
            now = time.monotonic()
            if now - self.last < PROGRESS_EVERY:
                return
            self.last, done = now, self.done
        rate = done / max(now - self.start, 0.001)
        eta = (self.total - done) / rate if rate > 0 else 0
        log('progress: %s of %s, %s/s, about %d s left' % (human(done), human(self.total), human(rate), eta))
