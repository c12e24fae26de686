"""efsync's writer function: fetches the efsync agent, checks it, and hands it the job.

The template inlines this file as the function's code (index.py, handler index.handler). It needs nothing but the
standard library (Python 3.9 and later): the agent comes with each invocation, as a presigned URL and its sha256, and
runs only once its bytes match. Event, from the runner (a synchronous invoke):
  {"efsync": 1, "runId": "...", "job": {"url": "...", "sha256": "..."}, "agent": {"url": "...", "sha256": "..."}}
The agent (efsync_agent.pyz, a zipapp) is kept in /tmp by its sha256: a warm function runs the same agent again
without downloading it, and another sha256 replaces it. Presigned URLs are secrets: nothing here prints one, only its
host and path.
"""
import hashlib
import http.client
import importlib
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import zipimport

HEX64 = re.compile(r'^[0-9a-f]{64}$')
URL = re.compile(r'^https?://[^\s\x00-\x1f\x7f/?#]+[^\s\x00-\x1f\x7f]*$')
AGENT_MAX_BYTES = 16 << 20  # the agent is a few hundred KB
TIMEOUT = 20  # seconds, each attempt
ATTEMPTS = 3
PACKAGE = 'efsync_agent'

loaded = {}  # the agent this process imported: {'sha256', 'path'}


class EventError(ValueError):
    """An event this function does not take: Lambda answers it as the function's error."""


def where(url):
    """A URL for the log: its host and path, without the query that holds the signature."""
    parts = urllib.parse.urlsplit(url)
    return parts.netloc.rsplit('@', 1)[-1] + parts.path


def check_event(event):
    """Refuses anything but an event of version 1 with a runId, and an http(s) URL and a sha256 for the job and the
    agent."""
    if not isinstance(event, dict) or event.get('efsync') != 1 or isinstance(event.get('efsync'), bool):
        raise EventError('efsync writer: not an efsync event of version 1')
    if not isinstance(event.get('runId'), str) or not event['runId']:
        raise EventError('efsync writer: the event has no runId')
    for key in ('job', 'agent'):
        ref = event.get(key)
        if not isinstance(ref, dict) or not isinstance(ref.get('url'), str) or not URL.match(ref['url']):
            raise EventError('efsync writer: the event has no http(s) URL of the %s' % key)
        if not isinstance(ref.get('sha256'), str) or not HEX64.match(ref['sha256']):
            raise EventError('efsync writer: the event has no sha256 of the %s (64 lowercase hex digits)' % key)


def get(url, limit):
    """The body of a GET, at most `limit` bytes; a few attempts for what another attempt may cure (no connection,
    5xx, 408, 429). Errors name the host and path, never the URL."""
    pause, attempt = 1.0, 1
    while True:
        try:
            data = bytearray()
            with urllib.request.urlopen(url, timeout=TIMEOUT) as answer:
                for chunk in iter(lambda: answer.read(1 << 20), b''):
                    data += chunk
                    if len(data) > limit:
                        raise RuntimeError('efsync writer: %s is larger than %d bytes: refusing it'
                                           % (where(url), limit))
            return bytes(data)
        except urllib.error.HTTPError as e:
            e.close()  # the answer's connection
            why, hint = 'HTTP %d' % e.code, ''
            if e.code < 500 and e.code not in (408, 429):
                raise RuntimeError('efsync writer: S3 refused the agent at %s (%s: the presigned URL expired, or the '
                                   'object changed)' % (where(url), why))
        except urllib.error.URLError as e:  # could not connect or send (CPython's AbstractHTTPHandler.do_open)
            why = 'cannot connect: %s' % (e.reason,)
            hint = ': the function\'s subnets need a route to S3 (an S3 gateway endpoint or a NAT gateway)'
        except (OSError, ValueError, http.client.HTTPException) as e:  # a timeout, a connection cut short
            why, hint = type(e).__name__, ''
        if attempt == ATTEMPTS:
            raise RuntimeError('efsync writer: could not download the agent from %s after %d attempts (%s)%s'
                               % (where(url), attempt, why, hint))
        time.sleep(pause)
        pause, attempt = pause * 2, attempt + 1


def cache_dir():
    return os.path.join(os.environ.get('TMPDIR') or '/tmp', 'efsync-agent')


def fetch_agent(ref):
    """The path of the agent with this sha256 in /tmp: downloaded and checked, unless a checked copy is there."""
    folder = cache_dir()
    path = os.path.join(folder, ref['sha256'] + '.pyz')
    if loaded.get('sha256') == ref['sha256'] and os.path.isfile(path):
        return path  # checked when this process imported it
    os.makedirs(folder, mode=0o700, exist_ok=True)
    if not same(path, ref['sha256']):  # a copy an earlier process of this function left is checked again
        started = time.monotonic()
        data = get(ref['url'], AGENT_MAX_BYTES)
        if hashlib.sha256(data).hexdigest() != ref['sha256']:
            raise RuntimeError('efsync writer: the agent from %s does not match its sha256 %s: refusing to run it'
                               % (where(ref['url']), ref['sha256']))
        tmp = '%s.%d.tmp' % (path, os.getpid())
        with open(tmp, 'wb') as f:
            f.write(data)
        os.replace(tmp, path)
        print('efsync writer: downloaded agent %s (%d bytes) from %s in %.1f s'
              % (ref['sha256'], len(data), where(ref['url']), time.monotonic() - started), flush=True)
    for name in os.listdir(folder):  # another agent is never run again here: only this one is kept
        if name != os.path.basename(path):
            try:
                os.unlink(os.path.join(folder, name))
            except OSError:
                pass
    return path


def same(path, sha256):
    try:
        with open(path, 'rb') as f:
            return hashlib.sha256(f.read()).hexdigest() == sha256
    except OSError:
        return False


def import_agent(sha256, path):
    """The agent's Lambda entry, efsync_agent.lambda_handler, imported from the zipapp at `path`; an agent imported
    earlier from another zipapp is forgotten first (its modules, its path, zipimport's index of it)."""
    if loaded.get('path') != path:
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + '.')]:
            del sys.modules[name]
        old = loaded.get('path')
        if old is not None:
            while old in sys.path:
                sys.path.remove(old)
            sys.path_importer_cache.pop(old, None)
            getattr(zipimport, '_zip_directory_cache', {}).pop(old, None)
        sys.path.insert(0, path)
        importlib.invalidate_caches()
        loaded.clear()
        loaded.update(sha256=sha256, path=path)
    return importlib.import_module(PACKAGE + '.lambda_handler')


def handler(event, context):
    check_event(event)
    ref = event['agent']
    agent = import_agent(ref['sha256'], fetch_agent(ref))
    return agent.handler(event, context)
