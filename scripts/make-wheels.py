#!/usr/bin/env python3
"""Build tiny pure-Python wheels (and sdists) for tests and the demo, where PyPI is out of reach.

Usage: python3 scripts/make-wheels.py OUTDIR SPEC...

SPEC is name==version, optionally :dep1,dep2 for Requires-Dist lines (each dep a requirement, e.g. beta>=2).
Prefix it with sdist: to build only a source distribution, as a package without wheels would publish, or with
broken: for a wheel whose package raises ImportError when imported (as one that needs a library the runtime lacks).
Install with: pip install --no-index --find-links OUTDIR ... A name that is not built does not exist there.

Standard library only. The archives are reproducible: fixed timestamps, sorted members.
"""

import base64
import hashlib
import io
import os
import re
import sys
import tarfile
import zipfile

EPOCH = (1980, 1, 1, 0, 0, 0)


def module_name(name):
    return re.sub(r"[-.]+", "_", name).lower()


def record_hash(data):
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def metadata(name, version, deps):
    lines = ["Metadata-Version: 2.1", "Name: " + name, "Version: " + version]
    lines += ["Requires-Dist: " + dep for dep in deps]
    return ("\n".join(lines) + "\n").encode("utf-8")


def init_py(name, version, broken=False):
    text = '"""The %s test package."""\n__version__ = "%s"\n' % (name, version)
    if broken:
        text += 'raise ImportError("needs lib%s.so")\n' % module_name(name)
    return text.encode("utf-8")


def build_wheel(outdir, name, version, deps, broken=False):
    module = module_name(name)
    dist_info = "%s-%s.dist-info" % (module, version)
    members = [
        (module + "/__init__.py", init_py(name, version, broken)),
        (dist_info + "/METADATA", metadata(name, version, deps)),
        (
            dist_info + "/WHEEL",
            b"Wheel-Version: 1.0\nGenerator: efsync-make-wheels\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        ),
    ]
    record = "".join("%s,%s,%d\n" % (path, record_hash(data), len(data)) for path, data in members)
    members.append((dist_info + "/RECORD", (record + dist_info + "/RECORD,,\n").encode("utf-8")))
    path = os.path.join(outdir, "%s-%s-py3-none-any.whl" % (module, version))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as wheel:
        for member, data in members:
            info = zipfile.ZipInfo(member, EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            wheel.writestr(info, data)
    return path


def build_sdist(outdir, name, version, deps):
    module = module_name(name)
    root = "%s-%s" % (module, version)
    setup = "from setuptools import setup\nsetup(name=%r, version=%r, packages=[%r], install_requires=%r)\n" % (
        name,
        version,
        module,
        deps,
    )
    members = [
        (root + "/PKG-INFO", metadata(name, version, deps)),
        (root + "/setup.py", setup.encode("utf-8")),
        (root + "/" + module + "/__init__.py", init_py(name, version)),
    ]
    path = os.path.join(outdir, root + ".tar.gz")
    with tarfile.open(path, "w:gz") as archive:
        for member, data in sorted(members):
            info = tarfile.TarInfo(member)
            info.size = len(data)
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(data))
    return path


def parse(spec):
    sdist = spec.startswith("sdist:")
    if sdist:
        spec = spec[len("sdist:") :]
    broken = spec.startswith("broken:")
    if broken:
        spec = spec[len("broken:") :]
    requirement, _, dep_text = spec.partition(":")
    name, sep, version = requirement.partition("==")
    if not sep or not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*$", name) or not version:
        raise SystemExit("make-wheels: %r is not name==version[:dep1,dep2]" % spec)
    deps = [dep.strip() for dep in dep_text.split(",") if dep.strip()]
    return sdist, broken, name, version, deps


def main(argv):
    if len(argv) < 2:
        raise SystemExit(__doc__)
    outdir = argv[0]
    os.makedirs(outdir, exist_ok=True)
    for spec in argv[1:]:
        sdist, broken, name, version, deps = parse(spec)
        print(build_sdist(outdir, name, version, deps) if sdist else build_wheel(outdir, name, version, deps, broken))


if __name__ == "__main__":
    main(sys.argv[1:])
