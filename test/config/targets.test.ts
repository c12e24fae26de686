import { describe, expect, it } from 'vitest';
import { targetPaths } from '../../src/config/targets.js';
import { INPUTS } from '../fixtures/inputs.ts';
import { load } from '../support/config.ts';

describe('targetPaths', () => {
  it('gives each target as the Lambda sees it and on the file system', () => {
    const { config } = load({ ...INPUTS.ALL, 'lambda-mount-path': '/mnt/data/' });
    expect(targetPaths(config, '/lambda')).toEqual([
      { kind: 'pip', target: 'lib', lambdaPath: '/mnt/data/lib', efsPath: '/lambda/lib' },
      {
        kind: 'local',
        target: 'models/current',
        lambdaPath: '/mnt/data/models/current',
        efsPath: '/lambda/models/current',
      },
      { kind: 's3', target: 'bert', lambdaPath: '/mnt/data/bert', efsPath: '/lambda/bert' },
    ]);
  });

  it('uses the file system root without an access point', () => {
    const { config } = load(INPUTS.DEPS);
    expect(targetPaths(config)).toEqual([{ kind: 'pip', target: 'lib', lambdaPath: '/mnt/efs/lib', efsPath: '/lib' }]);
  });
});
