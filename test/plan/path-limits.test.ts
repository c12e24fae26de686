// Names and paths too long for EFS or for the Lambda that opens them fail at plan time, naming the path.
import { describe, expect, it } from 'vitest';
import { NAME_MAX_BYTES, PATH_MAX_BYTES, pathLimitProblem } from '../../src/plan/path-limits.js';

const plan = (target: string, paths: string[], dirs: string[] = []) => ({
  target,
  tree: {
    files: paths.map((path) => ({ path, size: 1, mode: 0o644, sha256: 'a'.repeat(64) })),
    dirs: dirs.map((path) => ({ path, mode: 0o755 })),
  },
});

describe('pathLimitProblem', () => {
  it('takes names of 255 bytes, counted in UTF-8', () => {
    expect(pathLimitProblem(plan('lib', [`a/${'x'.repeat(NAME_MAX_BYTES)}`]), '/mnt/efs')).toBeUndefined();
    // 85 three-byte characters: 255 bytes.
    expect(pathLimitProblem(plan('lib', ['€'.repeat(85)]), '/mnt/efs')).toBeUndefined();
  });

  it('refuses a 256-byte name of a file, a folder or in the target', () => {
    expect(pathLimitProblem(plan('lib', [`a/${'x'.repeat(256)}`]), '/mnt/efs')).toMatch(
      /^lib: a name of 256 bytes, where EFS allows 255, in "a\/x+…x+"/,
    );
    expect(pathLimitProblem(plan('lib', ['€'.repeat(86)]), '/mnt/efs')).toMatch(/a name of 258 bytes/);
    expect(pathLimitProblem(plan('lib', [], [`d/${'y'.repeat(300)}`]), '/mnt/efs')).toMatch(/300 bytes/);
    expect(pathLimitProblem(plan(`models/${'t'.repeat(250)}`, ['a']), '/mnt/efs')).toMatch(
      /^Target "models\/t+…t+": a name of 258 bytes, where EFS allows 255/,
    );
  });

  it('refuses a path longer than the Lambda can open through the release’s real path', () => {
    // "/mnt/efs/" is 9 bytes, ".lib.efsync/" 12, ".tmp-<release id>/" 31: 52 bytes before the file's path.
    const folders = Array.from({ length: 20 }, () => 'd'.repeat(200)).join('/');
    const room = PATH_MAX_BYTES - 52 - folders.length - 1;
    expect(pathLimitProblem(plan('lib', [`${folders}/${'f'.repeat(room)}`]), '/mnt/efs')).toBeUndefined();
    expect(pathLimitProblem(plan('lib', [`${folders}/${'f'.repeat(room + 1)}`]), '/mnt/efs')).toMatch(
      /would be 4096 bytes long as the Lambda opens it \(\/mnt\/efs\/…\/.lib.efsync\/<release>\/…\); Linux allows 4095/,
    );
    // A target in a folder and a longer mount path count too.
    expect(pathLimitProblem(plan('a/lib', [`${folders}/${'f'.repeat(room - 3)}`]), '/mnt/efs/x')).toMatch(/4096 bytes/);
  });
});
