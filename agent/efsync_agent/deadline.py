"""A writer function's time: the agent stops taking new work early enough to leave the file system as it found it.

Lambda ends an invocation at the function's timeout (at most 15 minutes) without a word to the code: whatever runs
then is killed. So the agent stops itself before: a margin before the end, STOP is set, which stops every transfer at
its next chunk, every link not made yet (build.py) and every target not started (run.py). The target being built
then fails as on an instance: its partial release is removed, the target still serves the release it served, the
lock is released and the result uploaded, all within the margin. Should the function be killed all the same, the
lock goes with it: an NFSv4 lock is held by the client's lease, which the file server ends when the client stops
renewing it (RFC 8881, 8.3 "Lease Renewal"), and the next run removes what a killed run left (target_run.py).
"""
from __future__ import annotations

import threading
import time

from .common import STOP, Failure
from .log import log


# The margin grows with the time the invocation has, up to MARGIN_SECONDS: what it must cover is removing what was
# written of a partial release (a fraction of the time writing it took), releasing the lock and two uploads.
MARGIN_SECONDS = 60.0
MARGIN_SHARE = 0.25
# Less time than this left after the margin, and the job is not started at all.
MIN_WORK_SECONDS = 5.0


class Deadline:
    """The invocation's end, from context.get_remaining_time_in_millis() (the Lambda context object): sets STOP
    `margin` seconds before it."""

    def __init__(self, context):
        remaining = max(context.get_remaining_time_in_millis(), 0) / 1000.0
        self.margin = min(MARGIN_SECONDS, remaining * MARGIN_SHARE)
        self.remaining, self.stop_at = remaining, time.monotonic() + remaining - self.margin
        self.expired, self.timer = False, None

    def left(self):
        """Seconds until the agent stops taking new work."""
        return self.stop_at - time.monotonic()

    def start(self):
        """Fails if too little time is left to start; otherwise sets STOP when the time to stop comes."""
        left = self.left()
        if left < MIN_WORK_SECONDS:
            raise Failure('the function has %.1f s left of this invocation, too little to start the job (efsync keeps '
                          '%.3g s to clean up and needs %.3g s more): nothing was done. Give the function a longer '
                          'timeout' % (self.remaining, self.margin, MIN_WORK_SECONDS))
        self.timer = threading.Timer(left, self.expire)
        self.timer.daemon = True
        self.timer.start()
        log('the function has %.3g s left: efsync stops taking new work %.3g s before the end'
            % (self.remaining, self.margin))

    def expire(self):
        self.expired = True
        log('the function\'s time is nearly up (%.3g s left): stopping' % self.margin)
        STOP.set()

    def cancel(self):
        if self.timer is not None:
            self.timer.cancel()

    def explain(self, error):
        """The error of a job stopped for time, from the one it ended with (`stopped`, mostly)."""
        return ('the function\'s time ran out: efsync stopped %.3g s before the end of the invocation (%s). No target '
                'that was not published changed: a release being built was removed and the target serves the release '
                'it served before; the file system lock is released. Give the function a longer timeout (up to 900 '
                's), or publish fewer bytes at a time' % (self.margin, error))
