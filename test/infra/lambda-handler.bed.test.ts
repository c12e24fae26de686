// The example Lambda handler (examples/lambda/handler.py), run by Python: it pins the releases it starts with.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/repo.ts';

const python = spawnSync('python3', ['--version']).status === 0;
describe.skipIf(!python)('examples/lambda/handler.py', () => {
  it('pins the releases it starts with and reads the model from EFS', () => {
    const efs = fs.mkdtempSync(path.join(os.tmpdir(), 'efsync-handler-'));
    for (const [target, release] of [
      ['lib', 'r1'],
      ['model', 'm1'],
    ] as const) {
      fs.mkdirSync(path.join(efs, `.${target}.efsync`, release), { recursive: true });
      fs.symlinkSync(`.${target}.efsync/${release}`, path.join(efs, target));
    }
    fs.cpSync(path.join(ROOT, 'examples/model'), path.join(efs, '.model.efsync/m1'), { recursive: true });
    fs.writeFileSync(path.join(efs, '.lib.efsync/r1/greeting.py'), 'WORD = "hello from r1"\n');
    // Switch both targets after start-up: the running environment keeps its releases.
    const script = `
import json, os, sys
sys.path.insert(0, ${JSON.stringify(path.join(ROOT, 'examples/lambda'))})
import handler
efs = os.environ['EFS_MOUNT']
for target, release in (('lib', 'r2'), ('model', 'm2')):
    os.makedirs(os.path.join(efs, '.%s.efsync' % target, release))
    os.symlink('.%s.efsync/%s' % (target, release), os.path.join(efs, target + '.new'))
    os.replace(os.path.join(efs, target + '.new'), os.path.join(efs, target))
import greeting
body = json.loads(handler.handler({'text': 'hi'}, None)['body'])
print(json.dumps({'body': body, 'greeting': greeting.WORD, 'path0': sys.path[0]}))
`;
    const run = spawnSync('python3', ['-c', script], { encoding: 'utf8', env: { ...process.env, EFS_MOUNT: efs } });
    expect(run.stderr).toBe('');
    const out = JSON.parse(run.stdout) as { body: Record<string, unknown>; greeting: string; path0: string };
    expect(out.body.releases).toEqual({ lib: 'r1', model: 'm1' });
    expect(out.body.labels).toEqual(['negative', 'neutral', 'positive']);
    expect(out.greeting).toBe('hello from r1');
    expect(out.path0).toBe(fs.realpathSync(path.join(efs, '.lib.efsync/r1')));
  });
});
