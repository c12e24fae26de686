"""What the writer function's tests share: a loopback stand-in for S3's presigned URLs, the agent's zipapp, a job
staged there as the runner stages one, and a Lambda context."""
import hashlib
import http.server
import io
import json
import os
import sys
import tarfile
import threading
import time
import urllib.parse
import zipfile

import efsync_agent
from support import file_json, job_json, target_json

AGENT_SOURCES = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')


def sha256(data):
    return hashlib.sha256(data).hexdigest()


class Bucket:
    """Presigned GETs of what was put in and PUTs kept, by name. Every URL carries `secret`, a stand-in for a
    signature, which must never be printed. drip(name) sends that object slowly: 1 KiB every 50 ms."""

    def __init__(self):
        self.secret = 'X-Amz-Signature=' + os.urandom(12).hex()
        self.objects, self.puts, self.gets, self.slow, self.status = {}, {}, [], set(), {}
        bucket = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def name(self):
                return urllib.parse.urlsplit(self.path).path.lstrip('/')

            def do_GET(self):
                name = self.name()
                bucket.gets.append(name)
                body = bucket.objects.get(name)
                status = bucket.status.get(name, 200 if body is not None else 404)
                if status != 200:
                    self.send_error(status)
                    return
                self.send_response(200)
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                try:
                    if name in bucket.slow:
                        for at in range(0, len(body), 1024):
                            self.wfile.write(body[at:at + 1024])
                            self.wfile.flush()
                            time.sleep(0.05)
                    else:
                        self.wfile.write(body)
                except OSError:  # the agent stopped reading
                    pass

            def do_PUT(self):
                body = self.rfile.read(int(self.headers.get('Content-Length') or 0))
                bucket.puts.setdefault(self.name(), []).append(body)
                self.send_response(200)
                self.send_header('Content-Length', '0')
                self.end_headers()

        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def url(self, name):
        return 'http://127.0.0.1:%d/%s?X-Amz-Credential=AKIA%%2F1&%s' % (self.server.server_address[1], name,
                                                                        self.secret)

    def put(self, name, body):
        self.objects[name] = body
        return self.url(name)

    def last_put(self, name):
        return self.puts[name][-1] if name in self.puts else None


def agent_pyz():
    """The agent's zipapp: the one the package was imported from (the zipapp that ships, as the tests run under npm
    test), else one built from agent/ as src/remote/agent-file.ts builds it: __main__.py and the package, sorted,
    stored."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(efsync_agent.__file__)))
    if os.path.isfile(here):
        with open(here, 'rb') as f:
            return f.read()
    names = ['__main__.py'] + ['efsync_agent/' + n for n in os.listdir(os.path.join(AGENT_SOURCES, 'efsync_agent'))
                               if n.endswith('.py')]
    out = io.BytesIO()
    with zipfile.ZipFile(out, 'w', zipfile.ZIP_STORED) as z:
        for name in sorted(names):
            info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
            with open(os.path.join(AGENT_SOURCES, name), 'rb') as f:
                z.writestr(info, f.read())
    return out.getvalue()


def fake_agent(tag, marker=None):
    """A zipapp whose lambda_handler answers {'agent': tag, 'runId'}, and first creates `marker` if given."""
    code = ('import os\n\ndef handler(event, context):\n'
            '    if %r:\n        open(%r, "w").close()\n'
            '    return {"agent": %r, "runId": event["runId"]}\n' % (marker, marker, tag))
    out = io.BytesIO()
    with zipfile.ZipFile(out, 'w', zipfile.ZIP_STORED) as z:
        z.writestr('efsync_agent/__init__.py', '')
        z.writestr('efsync_agent/lambda_handler.py', code)
    return out.getvalue()


def tar_of(files):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode='w', format=tarfile.PAX_FORMAT) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def stage_job(bucket, run_id='run-1', files=None, release='r1', base=None, kept=(), slow=False, place=None):
    """A job as the runner stages one: its part (a tar of `files`) and the job itself in the bucket, with the log and
    result URLs; `kept`: files taken from the base release. Returns (the job's URL, its sha256)."""
    files = {'a.txt': b'alpha\n', 'pkg/b.py': b'print(2)\n'} if files is None else files
    part = tar_of(files)
    name = '%s/p1.tar' % run_id
    bucket.put(name, part)
    if slow:
        bucket.slow.add(name)
    entries = [file_json(path, data, source={'from': 'part', 'part': 'p1.tar', 'member': path})
               for path, data in files.items()]
    entries += [file_json(path, data, source={'from': 'base'}) for path, data in kept]
    entries.sort(key=lambda e: e['path'])
    dirs = sorted({path.rsplit('/', 1)[0] for path in files if '/' in path})
    job = job_json([target_json(release=release, base=base, files=entries,
                                dirs=[{'path': d, 'mode': 0o755} for d in dirs])],
                   runId=run_id, parts=[{'name': 'p1.tar', 'url': bucket.url(name), 'size': len(part),
                                         'sha256': sha256(part)}],
                   logUrl=bucket.url('%s/log.txt' % run_id), resultUrl=bucket.url('%s/result.json' % run_id),
                   **({'place': place} if place is not None else {}))
    data = json.dumps(job).encode()
    return bucket.put('%s/job.json' % run_id, data), sha256(data)


def event(run_id, job, agent=('http://127.0.0.1:9/agent.pyz', '0' * 64)):
    """The event the runner invokes the writer function with; `job` and `agent`: (URL, sha256)."""
    return {'efsync': 1, 'runId': run_id, 'job': {'url': job[0], 'sha256': job[1]},
            'agent': {'url': agent[0], 'sha256': agent[1]}}


class Context:
    """Lambda's context object, as far as the agent uses it: the time left, counting down from `ms`."""

    def __init__(self, ms=900000, request_id='req-1'):
        self.end, self.aws_request_id = time.monotonic() + ms / 1000.0, request_id

    def get_remaining_time_in_millis(self):
        return max(int((self.end - time.monotonic()) * 1000), 0)


def forget_agent():
    """Keeps the package this process imported across a test that imports another one (the writer's agent): returns
    what to call afterwards."""
    modules = {n: m for n, m in sys.modules.items() if n == 'efsync_agent' or n.startswith('efsync_agent.')}
    path = list(sys.path)

    def restore():
        for name in [n for n in sys.modules if n == 'efsync_agent' or n.startswith('efsync_agent.')]:
            del sys.modules[name]
        sys.modules.update(modules)
        sys.path[:] = path
    return restore
