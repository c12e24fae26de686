"""HTTP: presigned GETs and PUTs, retried. Messages name what is transferred, never the URL (it is a secret)."""
from __future__ import annotations

import http.client
import random
import threading
import time
import urllib.request

from .common import EXIT, Failure, STOP, human
from .files import CHUNK, copy
from .log import SHIP_EVERY, log


ATTEMPTS = 5
# Who needs a route to S3 when none is there: a writer function sets its own (lambda_handler.py).
NETWORK = {'subnet': 'the instance\'s subnet'}
# Connection failures (no route to S3 drops packets: each attempt waits out its timeout) end the retries once this
# many seconds have passed since the first attempt, whatever ATTEMPTS says.
CONNECT_BUDGET = 60.0


class TryAgain(Exception):
    """An attempt that went wrong in a way the next one may not (a body cut short, say)."""


class HttpFailed(Exception):
    """A request given up on. why: how the last attempt failed, on one line; kind: 'invalid-url', 'refused' (an
    answer no retry changes: a 4xx but 408 and 429), 'unreachable' (the last attempt could not connect: every attempt
    failed, or CONNECT_BUDGET passed) or 'exhausted' (every attempt failed otherwise)."""

    def __init__(self, kind, why, attempts, status=None, seconds=0.0):
        super().__init__(why)
        self.kind, self.why, self.attempts, self.status, self.seconds = kind, why, attempts, status, seconds


def with_retries(attempt, attempts, pause, stop=None, failed=None):
    """Returns attempt() once it succeeds; raises HttpFailed when an attempt fails for good or `attempts` have failed.

    Waits pause, 2 * pause, 4 * pause... between attempts, plus a random up to pause / 2, so that parallel transfers
    that failed together do not retry in step. A set `stop` ends a wait with Failure('stopped'); without one the waits
    run to the end. Only Exceptions are caught: Interrupted (a BaseException) and Failure go straight through.
    failed(why, again) hears of each attempt that failed for a passing reason, and whether another follows.
    A URLError that is no HTTPError means the request could not connect or be sent (CPython's
    AbstractHTTPHandler.do_open wraps only those): no more attempts start CONNECT_BUDGET s after the first.
    """
    started = time.monotonic()
    for n in range(1, attempts + 1):
        unreachable = False
        try:
            return attempt()
        except (ValueError, http.client.InvalidURL) as e:
            raise HttpFailed('invalid-url', str(e), n)
        except urllib.error.HTTPError as e:
            why = 'HTTP %d %s' % (e.code, e.reason)
            if e.code < 500 and e.code not in (408, 429):
                raise HttpFailed('refused', why, n, e.code)
        except urllib.error.URLError as e:
            why, unreachable = str(e.reason) or type(e).__name__, True
        except (TryAgain, http.client.HTTPException, OSError) as e:
            why = str(getattr(e, 'reason', None) or e) or type(e).__name__
        seconds = time.monotonic() - started
        last = n == attempts or (unreachable and seconds >= CONNECT_BUDGET)
        if failed:
            failed(why, not last)
        if last:
            raise HttpFailed('unreachable' if unreachable else 'exhausted', why, n, seconds=seconds)
        delay = pause * 2 ** (n - 1) + random.uniform(0, pause / 2)
        if stop is None:
            time.sleep(delay)
        elif stop.wait(delay):
            raise Failure('stopped')


def download(url, name, sink, size, progress=None):
    """GETs url into sink; the log and the errors name `name`, never the URL."""
    def attempt():
        sink.reset()
        with urllib.request.urlopen(url, timeout=60) as response:
            length = response.headers.get('Content-Length') or ''
            if length.isdigit() and int(length) != size:
                raise Failure('%s is %s bytes, the plan says %d: it changed since the plan was made'
                              % (name, length, size), EXIT['downloadFailed'])
            copy(response.read1, sink, progress=progress)  # read1: what has arrived, so a stop is seen soon
        if sink.size != size:
            raise TryAgain('got %d bytes, expected %d' % (sink.size, size))

    def failed(why, again):
        if progress:
            progress.add(-sink.size)  # those bytes come again, or not at all
        if again:
            log('download of %s failed (%s); retrying' % (name, why))

    try:
        with_retries(attempt, ATTEMPTS, 0.5, STOP, failed)
    except HttpFailed as e:
        raise Failure('cannot download %s%s' % (name, why_failed(e)), EXIT['downloadFailed'])


def fetch(url, name, limit):
    """GETs a small object whose size nothing says beforehand (the job itself) into memory: at most `limit` bytes, or
    it is refused. Retried as download() is; the errors name `name`, never the URL."""
    def attempt():
        data = bytearray()
        with urllib.request.urlopen(url, timeout=60) as response:
            for chunk in iter(lambda: response.read1(CHUNK), b''):
                data += chunk
                if len(data) > limit:
                    raise Failure('%s is larger than %s: refusing it' % (name, human(limit)), EXIT['downloadFailed'])
        return bytes(data)

    def failed(why, again):
        if again:
            log('download of %s failed (%s); retrying' % (name, why))

    try:
        return with_retries(attempt, ATTEMPTS, 0.5, STOP, failed)
    except HttpFailed as e:
        raise Failure('cannot download %s%s' % (name, why_failed(e)), EXIT['downloadFailed'])


def why_failed(e):
    """What a download's error says after its name: how the last attempt failed, and what to do about it."""
    if e.kind == 'exhausted':
        return ' after %d attempts: %s' % (e.attempts, e.why)
    if e.kind == 'unreachable':
        return (': cannot reach S3 (%s, %d attempts in %d s): %s needs a route to S3 (an S3 gateway endpoint on its '
                'route table, or a NAT gateway)' % (e.why, e.attempts, e.seconds, NETWORK['subnet']))
    if e.kind == 'invalid-url':
        return ': invalid URL (%s)' % e.why
    # 403 is also S3's InvalidObjectState for an archived object (GetObject API reference); the plan refuses
    # those, but one can be archived after the plan.
    hint = {403: ' (the presigned URL expired, the object changed, or it is archived and not restored)',
            404: ' (the object changed or was deleted since the plan)'}.get(e.status, '')
    return ': %s%s' % (e.why, hint)


def upload(url, body, content_type, timeout=30):
    """One presigned PUT."""
    request = urllib.request.Request(url, data=body, method='PUT', headers={'Content-Type': content_type})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        response.read()


def put(url, body, content_type, what):
    """Uploads the log or the result by presigned PUT; a failure is logged, never fatal. It does not heed STOP: after
    a signal the result must still get out."""
    try:
        with_retries(lambda: upload(url, body, content_type), 4, 1.0)
    except HttpFailed as e:
        log('could not upload the %s: %s' % (what, e.why))


class LogShipper:
    """Uploads the log so far every SHIP_EVERY seconds while it grows, so that the action can print it while the agent
    runs: SSM shows a command's output only once the command has ended (GetCommandInvocation, StandardOutputContent:
    "If the command hasn't finished running ... this string is empty"). One attempt a round: a failed upload is
    carried by the next round, or by the final upload of the whole log."""

    def __init__(self, url):
        self.url, self.sent, self.done = url, 0, threading.Event()
        self.thread = threading.Thread(target=self.run, name='log-shipper', daemon=True)

    def start(self):
        self.thread.start()
        return self

    def run(self):
        while not self.done.wait(SHIP_EVERY):
            lines = log.snapshot()
            if len(lines) == self.sent:
                continue
            try:
                upload(self.url, log.text(lines), 'text/plain', timeout=10)
                self.sent = len(lines)
            except Exception:  # never fatal, never logged: the log is what it ships
                pass

    def stop(self):
        """Before the final upload, so that no older copy of the log can land after it."""
        self.done.set()
        self.thread.join(timeout=15)
