"""Writing a file of a release: verified before it is renamed into place, never written through a link."""
import hashlib
import io
import os
import stat
import unittest

from efsync_agent.common import EXIT, Failure
from efsync_agent.files import HASHERS, Release, Sink, copy, mismatch, verified_by, write_file
from efsync_agent.job import ReleaseFile
from efsync_agent.result import Done
from support import Scratch, file_json


def entry(path, data, **over):
    return ReleaseFile.from_json(file_json(path, data, **over), target='lib', taken=set(), has_base=True,
                                 parts={'p1.tar': None})


def url_entry(path, data, verify, digest=None, etag=None):
    source = {'from': 'url', 'url': 'https://b/' + path, 'verify': verify}
    if digest is not None:
        source['digest'] = digest
    return entry(path, data, sha256=None, source=source, etag=etag)


def filled(data):
    return lambda sink: copy(io.BytesIO(data).read, sink)


class WriteFile(Scratch):
    def setUp(self):
        super().setUp()
        os.mkdir(self.at('r1'))
        self.release = Release(self.root.sub('r1'), create=True)
        self.addCleanup(self.release.close)

    def test_writes_verifies_and_renames_into_place_with_the_mode_masked(self):
        f = entry('pkg/sub/a.py', b'print(1)\n', mode=0o4777)
        done = write_file(self.release, f, filled(b'print(1)\n'), 'part p1.tar', EXIT['error'])
        self.assertEqual(done, Done(1, 9, 0))
        self.assertEqual(f.verified, 'sha256')
        with open(self.at('r1', 'pkg', 'sub', 'a.py'), 'rb') as written:
            self.assertEqual(written.read(), b'print(1)\n')
        # setuid and world-write never reach the file system (MODE_MASK)
        self.assertEqual(stat.S_IMODE(os.stat(self.at('r1', 'pkg', 'sub', 'a.py')).st_mode), 0o775)
        self.assertEqual(os.listdir(self.at('r1', 'pkg', 'sub')), ['a.py'])

    def test_content_that_does_not_verify_fails_and_leaves_nothing(self):
        f = entry('a.txt', b'good')
        with self.assertRaises(Failure) as caught:
            write_file(self.release, f, filled(b'evil'), 'part p1.tar', EXIT['downloadFailed'])
        self.assertEqual(str(caught.exception), 'file "a.txt" from part p1.tar does not verify: sha256 %s, expected %s'
                         % (hashlib.sha256(b'evil').hexdigest(), hashlib.sha256(b'good').hexdigest()))
        self.assertEqual(caught.exception.code, EXIT['downloadFailed'])
        self.assertEqual(os.listdir(self.at('r1')), [])
        self.assertIsNone(f.verified)

    def test_never_writes_through_a_planted_link(self):
        os.mkdir(self.at('outside'))
        os.symlink('../outside', self.at('r1', 'pkg'))
        with self.assertRaises(Failure) as caught:
            write_file(self.release, entry('pkg/a.py', b'x'), filled(b'x'), 'part p1.tar', EXIT['error'])
        self.assertTrue(str(caught.exception).startswith('refusing file path "pkg/a.py": it resolves outside the '
                                                         'release'), caught.exception)
        self.assertEqual(os.listdir(self.at('outside')), [])

    def test_verify_fails_once_a_folder_of_the_release_is_swapped(self):
        self.release.folder(['pkg'])
        os.rename(self.at('r1', 'pkg'), self.at('r1', 'old'))
        os.mkdir(self.at('r1', 'pkg'))
        with self.assertRaises(Failure) as caught:
            self.release.verify()
        self.assertIn('was moved, removed or replaced', str(caught.exception))


class Verification(unittest.TestCase):
    def sink(self, data, verify=None):
        sink = Sink(io.BytesIO(), verify=verify)
        sink.write(data)
        return sink

    def test_size(self):
        self.assertEqual(mismatch(entry('a', b'abc'), self.sink(b'ab')), 'size 2, expected 3')
        self.assertIsNone(mismatch(url_entry('a', b'abc', 'size'), self.sink(b'abc')))
        self.assertEqual(verified_by(url_entry('a', b'abc', 'size')), 'size')

    def test_an_md5_etag(self):
        good = hashlib.md5(b'abc').hexdigest()
        f = url_entry('a', b'abc', 'md5', good, etag=good)
        self.assertIsNone(mismatch(f, self.sink(b'abc', 'md5')))
        self.assertEqual(mismatch(f, self.sink(b'abd', 'md5')),
                         'MD5 %s, expected the ETag %s' % (hashlib.md5(b'abd').hexdigest(), good))
        self.assertEqual(verified_by(f), 'md5')

    def test_s3_checksums(self):
        # The check value of each CRC ("123456789"), from the RevEng catalogue; CRC32 as zlib computes it.
        for verify, digest in (('crc32', 'cbf43926'), ('crc32c', 'e3069283'), ('crc64nvme', 'ae8b14860a799888'),
                               ('sha1', 'f7c3bc1d808e04732adf679965ccc34ca7ae3441')):
            f = url_entry('a', b'123456789', verify, digest)
            self.assertIsNone(mismatch(f, self.sink(b'123456789', verify)), verify)
            self.assertEqual(mismatch(f, self.sink(b'123456780', verify)).split(' ')[0], verify.upper())
            self.assertIn(verify, HASHERS)


if __name__ == '__main__':
    unittest.main()
