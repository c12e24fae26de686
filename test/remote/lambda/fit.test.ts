import { describe, expect, it } from 'vitest';
import { FunctionUnsuited, judgeFit, modeledSeconds, placeFor } from '../../../src/remote/lambda/fit.js';
import type { WriterFunction } from '../../../src/remote/lambda/ready.js';
import type { AccessPointFacts } from '../../../src/remote/preflight/access-point.js';

const WRITER: WriterFunction = {
  name: 'efsync-writer',
  arn: 'arn:aws:lambda:eu-central-1:123456789012:function:efsync-writer',
  runtime: 'python3.13',
  architecture: 'x86_64',
  timeoutSeconds: 900,
  memoryMiB: 2048,
  ephemeralMiB: 10240,
  accessPointArn: 'arn:aws:elasticfilesystem:eu-central-1:123456789012:access-point/fsap-0000000000000000a',
  mountPath: '/mnt/efs',
};
const MiB = 1048576;
const small = { bytes: 30_000, filesWritten: 1, filesLinked: 5000, largestPart: 30_000 };

describe('judgeFit', () => {
  it('takes a job that ends well inside the timeout and whose largest part fits /tmp, saying so', () => {
    const fit = judgeFit(WRITER, small, 'auto');
    expect(fit.unsuited).toBeUndefined();
    expect(fit.line).toBe(
      'The job fits the writer function efsync-writer: about 6 s to write 29.3 KiB in 1 files and link 5000 (modeled), ' +
        'well inside its timeout of 900 s; its largest staged part, 29.3 KiB, fits its /tmp of 10240 MB.',
    );
  });

  it('models the bytes at 40 MiB/s and each file at NFS round trips over the threads the memory gives', () => {
    expect(modeledSeconds(WRITER, { ...small, bytes: 400 * MiB, filesWritten: 0, filesLinked: 0 })).toBe(15);
    // 128 MB of memory leaves one thread: 10,000 written files at 5 round trips of 2 ms
    expect(modeledSeconds({ memoryMiB: 132 }, { ...small, bytes: 0, filesWritten: 10_000, filesLinked: 0 })).toBe(105);
  });

  it('under auto, refuses a job past a third of the timeout; under lambda only one past the timeout', () => {
    const big = { ...small, bytes: 20_000 * MiB }; // 500 s at 40 MiB/s, plus the start
    expect(judgeFit(WRITER, big, 'auto').unsuited).toBe(
      'about 506 s to write 19.5 GiB in 1 files and link 5000 (modeled) is not well inside its timeout of 900 s (a third of it at most)',
    );
    expect(judgeFit(WRITER, big, 'lambda').unsuited).toBeUndefined();
    expect(judgeFit(WRITER, { ...small, bytes: 40_000 * MiB }, 'lambda').unsuited).toMatch(
      /is not inside its timeout of 900 s$/,
    );
  });

  it('refuses a largest staged part that /tmp cannot hold, whatever the engine', () => {
    const tight = { ...WRITER, ephemeralMiB: 512 };
    for (const engine of ['auto', 'lambda'] as const)
      expect(judgeFit(tight, { ...small, largestPart: 500 * MiB }, engine).unsuited).toBe(
        'its largest staged part, 500.0 MiB, does not fit its /tmp of 512 MB',
      );
    expect(judgeFit(tight, { ...small, largestPart: 400 * MiB }, 'auto').unsuited).toBeUndefined();
  });
});

describe('placeFor', () => {
  const FS = 'fs-0123456789abcdef0';
  const rootAsRoot: AccessPointFacts = {
    id: 'fsap-0000000000000000a',
    arn: WRITER.accessPointArn,
    fileSystemId: FS,
    root: '/',
    owner: { uid: 0, gid: 0 },
  };
  const lambdaPoint: AccessPointFacts = {
    id: 'fsap-0000000000000000b',
    arn: '',
    fileSystemId: FS,
    root: '/lambda',
    owner: { uid: 1000, gid: 1000 },
    creation: { uid: 1000, gid: 1000, permissions: '755' },
  };

  it("writes the run's access point's place from the root, as root: its root directory, its owner, its CreationInfo", () => {
    expect(placeFor(WRITER, rootAsRoot, { fileSystemId: FS })).toBeUndefined();
    expect(placeFor(WRITER, rootAsRoot, { fileSystemId: FS, accessPoint: lambdaPoint })).toEqual({
      root: '/lambda',
      owner: { uid: 1000, gid: 1000 },
      creation: { uid: 1000, gid: 1000, permissions: '755' },
    });
  });

  it("needs no place when the function mounts the run's own access point", () => {
    expect(placeFor(WRITER, lambdaPoint, { fileSystemId: FS, accessPoint: lambdaPoint })).toBeUndefined();
  });

  it('refuses a function that mounts another access point, another file system, or none', () => {
    const run = { fileSystemId: FS, accessPoint: { ...lambdaPoint, id: 'fsap-0000000000000000c' } };
    expect(() => placeFor(WRITER, lambdaPoint, run)).toThrow(FunctionUnsuited);
    expect(() => placeFor(WRITER, lambdaPoint, run)).toThrow(
      "the writer function efsync-writer mounts access point fsap-0000000000000000a (root /lambda, uid 1000): neither the run's (access point fsap-0000000000000000c) nor the file system's root as root, so it would write elsewhere or as another owner",
    );
    expect(() => placeFor(WRITER, lambdaPoint, { fileSystemId: FS })).toThrow(/neither the run's \(no access point\)/);
    expect(() => placeFor(WRITER, { ...rootAsRoot, fileSystemId: 'fs-1' }, { fileSystemId: FS })).toThrow(
      'the writer function efsync-writer mounts file system fs-1, not fs-0123456789abcdef0',
    );
    expect(() => placeFor(WRITER, undefined, { fileSystemId: FS })).toThrow(/which does not exist$/);
    expect(() => placeFor({ ...WRITER, accessPointArn: '' }, undefined, { fileSystemId: FS })).toThrow(
      /mounts no file system/,
    );
  });
});
