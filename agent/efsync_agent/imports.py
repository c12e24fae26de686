"""A new dependency release imported before it is served (verify-imports, src/remote/lambda/imports.ts): each of its
top-level modules in a fresh interpreter of the writer function's runtime, with only the release and the standard
library on the path. A module that does not import fails the job before the switch, so the served release stays.

Each interpreter is this one (sys.executable, the function's runtime) started with -I -S -B: no environment variables
of Python's, no site-packages, no user site, no script folder, and no .pyc written into the release (its tree is
recorded already). It reaches the release through the folder held open (/proc/self/fd), never by its path, runs in an
empty scratch folder, gets none of the writer's credentials, and is killed with what it started after SECONDS.
"""
from __future__ import annotations

import concurrent.futures as cf
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from .common import STOP, Failure, q
from .log import log

IDENTIFIER = re.compile(r'[A-Za-z_][A-Za-z0-9_]*')  # fullmatch only
# An extension module: name.so, name.abi3.so, name.cpython-313-x86_64-linux-gnu.so (PEP 3149's tags).
EXTENSION = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)(\.[A-Za-z0-9_-]+)?\.so')
# Folders of a release that are no module even when their name could be one (pip's --target puts scripts in bin).
NOT_MODULES = frozenset(('bin', '__pycache__'))
# Inside a namespace package (a folder without __init__), its own modules are imported, this deep at most.
NAMESPACE_DEPTH = 3
# Per module: a module that takes longer to import than this would time a cold start out anyway.
SECONDS = 60
# The end of its error output kept, for the error's last line and the log.
OUTPUT_BYTES = 64 << 10
# Interpreters at once: an import may load large libraries, and the function's memory is shared.
PARALLEL = max(1, min(4, os.cpu_count() or 1))
# What the interpreter's environment keeps: the locale, the time zone, where libraries are; never a credential.
KEPT_ENV = ('PATH', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'LD_LIBRARY_PATH')
CHILD = 'import importlib, sys\nsys.path.insert(0, sys.argv[1])\nimportlib.import_module(sys.argv[2])\n'


def module_of(name):
    """The module a file of a folder is, or None."""
    if name.endswith('.py'):
        stem = name[:-3]
        return stem if IDENTIFIER.fullmatch(stem) else None
    m = EXTENSION.fullmatch(name)
    return m.group(1) if m else None


def find_modules(fd, prefix='', depth=0):
    """The importable names in the folder open as `fd`, sorted: packages, modules, and inside a namespace package
    its own (dotted). A *.dist-info or *.data folder, __pycache__, bin and links are none."""
    packages, modules = [], set()
    with os.scandir(fd) as entries:
        for e in entries:
            if e.is_dir(follow_symlinks=False):
                if IDENTIFIER.fullmatch(e.name) and not (not prefix and e.name in NOT_MODULES):
                    packages.append(e.name)
            elif e.is_file(follow_symlinks=False) and module_of(e.name):
                modules.add(module_of(e.name))
    found = {prefix + m for m in modules if m != '__init__'}
    for name in packages:
        sub = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
        try:
            inner = [] if is_package(sub) or depth >= NAMESPACE_DEPTH else find_modules(sub, prefix + name + '.',
                                                                                         depth + 1)
        finally:
            os.close(sub)
        found.update(inner or [prefix + name])  # an empty namespace package: itself
    return sorted(found)


def is_package(fd):
    with os.scandir(fd) as entries:
        return any(e.is_file(follow_symlinks=False) and module_of(e.name) == '__init__' for e in entries)


def skipped(module, skip):
    return any(module == s or module.startswith(s + '.') for s in skip)


def last_line(text):
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ''


def import_one(release_fd, module, scratch, seconds=SECONDS):
    """Imports `module` in a fresh interpreter; returns None, or why it did not import (one line) and the end of its
    error output."""
    env = {k: os.environ[k] for k in KEPT_ENV if k in os.environ}
    env.update(HOME=scratch, TMPDIR=scratch)
    proc = subprocess.Popen(
        [sys.executable, '-I', '-S', '-B', '-c', CHILD, '/proc/self/fd/%d' % release_fd, module],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=scratch, env=env,
        pass_fds=(release_fd,), start_new_session=True)
    tail, ends, timed_out = b'', time.monotonic() + seconds, False
    try:
        while True:
            left = ends - time.monotonic()
            if left <= 0 or STOP.is_set():
                timed_out = True
                break
            ready, _, _ = select.select([proc.stderr], [], [], min(left, 1.0))
            if ready:
                chunk = os.read(proc.stderr.fileno(), 65536)
                if not chunk:
                    break
                tail = (tail + chunk)[-OUTPUT_BYTES:]
        if not timed_out:
            try:
                proc.wait(max(ends - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                timed_out = True
    finally:
        try:  # the interpreter and whatever it started: nothing is left running
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        proc.wait()
        proc.stderr.close()
    text = tail.decode('utf-8', 'replace')
    if STOP.is_set():
        return 'was stopped', text
    if timed_out:
        return 'did not import within %d s' % seconds, text
    if proc.returncode == 0:
        return None
    if proc.returncode < 0:
        return 'killed its interpreter with %s' % signal.Signals(-proc.returncode).name, text
    line = last_line(text)
    if line:
        return 'raised %s' % (line if len(line) <= 300 else line[:297] + '...'), text
    return 'exited with code %d while importing' % proc.returncode, text


def verify_imports(release, skip):
    """Imports each top-level module of `release` (a Dir, the new release, complete) except `skip`; raises a Failure
    naming the first that does not import."""
    started, name = time.monotonic(), release.name or os.path.basename(release.path)
    found = find_modules(release.fd)
    modules = [m for m in found if not skipped(m, skip)]
    unused = [s for s in skip if not any(m == s or m.startswith(s + '.') for m in found)]
    if unused:
        log('verify-imports-skip names %s, which the release does not have as a module' % ', '.join(unused))
    log('importing %d module(s) of release %s, %d at once, with %s (Python %s)%s'
        % (len(modules), name, PARALLEL, sys.executable, sys.version.split()[0],
           ', not %s (verify-imports-skip)' % ', '.join(sorted(set(found) - set(modules))) if len(modules) < len(found)
           else ''))
    scratch = tempfile.mkdtemp(prefix='efsync-imports-')
    failed = {}
    try:
        with cf.ThreadPoolExecutor(max_workers=PARALLEL) as pool:
            for module, outcome in zip(modules, pool.map(lambda m: import_one(release.fd, m, folder(scratch, m)),
                                                         modules)):
                if outcome is not None:
                    failed[module] = outcome
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if STOP.is_set():
        raise Failure('stopped')
    seconds = time.monotonic() - started
    for module, (why, text) in sorted(failed.items()):
        log('module %s %s; the end of its error output:' % (q(module), why))
        for line in text.splitlines()[-20:]:
            log('  ' + line)
    if failed:
        first = sorted(failed)[0]
        more = len(failed) - 1
        raise Failure('the new dependency release does not import: module %s %s%s. Nothing was switched: the served '
                      'release is as it was' % (first, failed[first][0],
                                                 ' (and %d more module(s), in the log)' % more if more else ''))
    log('imported %d module(s) of release %s in %.1f s: each imports' % (len(modules), name, seconds))


def folder(scratch, module):
    """An empty working folder of its own for each interpreter."""
    path = os.path.join(scratch, module)
    os.mkdir(path, 0o700)
    return path
