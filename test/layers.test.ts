// The layering of src/: core, config, plan, aws, remote and run in that order, each importing only from those before
// it, and the adapters on top.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cycles, type Edge, importEdges, layerOf, sourceFiles, specifiers, violations } from './support/layers.ts';
import { ROOT } from './support/repo.ts';

const SRC = path.join(ROOT, 'src');

describe('the layers of src/', () => {
  const edges = importEdges(SRC);

  it('are read from the sources', () => {
    // Sanity: the reader finds the imports it must judge, so an empty list cannot pass for a clean one.
    expect(edges.length).toBeGreaterThan(100);
    expect(edges).toContainEqual({ from: 'run/setup.ts', to: 'aws/clients.ts' });
    expect(edges).toContainEqual({ from: 'index.ts', to: 'run/engine.ts' });
    expect(edges).toContainEqual({ from: 'remote/teardown.ts', to: 'core/reporter.ts' });
  });

  it('cover every file', () => {
    expect(sourceFiles(SRC).filter((file) => layerOf(file) === undefined)).toEqual([]);
  });

  it('hold: no layer imports one above it or an adapter, core imports no other layer, no adapter imports another', () => {
    expect(violations(edges)).toEqual([]);
  });

  it('have no import cycle, not even within a layer (type-only imports count)', () => {
    expect(cycles(edges)).toEqual([]);
  });
});

/** The AWS SDK packages a file imports a value from (a client, a command, a paginator), not only types. */
function sdkCalls(source: string): string[] {
  const imports = source.matchAll(/^import\s+(type\s+)?\{([^}]*)\}\s*from\s*'(@aws-sdk\/[^']+)'/gm);
  return [...imports]
    .filter(
      ([, typeOnly, names]) => !typeOnly && (names ?? '').split(',').some((n) => n.trim() && !/^type\s/.test(n.trim())),
    )
    .map(([, , , from]) => from ?? '');
}

describe('AWS SDK calls', () => {
  it('live in aws/ and remote/, and in plan/ for S3 only (the sources, their objects, the published state)', () => {
    const where = (file: string) => {
      const [top] = file.split('/');
      const calls = sdkCalls(fs.readFileSync(path.join(SRC, file), 'utf8'));
      if (top === 'aws' || top === 'remote') return [];
      if (top === 'plan') return calls.filter((from) => from !== '@aws-sdk/client-s3');
      return calls;
    };
    expect(sourceFiles(SRC).flatMap((file) => where(file).map((from) => `${file}: ${from}`))).toEqual([]);
  });

  it('are told from type-only imports', () => {
    expect(sdkCalls("import { S3Client, type X } from '@aws-sdk/client-s3';")).toEqual(['@aws-sdk/client-s3']);
    expect(sdkCalls("import type { S3Client } from '@aws-sdk/client-s3';")).toEqual([]);
    expect(sdkCalls("import { type S3Client } from '@aws-sdk/client-s3';")).toEqual([]);
  });
});

/**
 * What the rest of src/ may import from remote/: the seam, nothing behind it. Instances, SSM, staging and the agent's
 * protocol are remote/'s own; the engine picks the instance executor, and reads the execution's typed result.
 */
const SEAM: Record<string, string[]> = {
  'remote/context.ts': ['*'],
  'remote/executor.ts': ['run/'],
  'remote/job.ts': ['run/'],
  'remote/protocol.ts': ['run/finalize.ts'],
  'remote/preflight/preflight.ts': ['run/'],
  'remote/sweep.ts': ['run/engine.ts'],
  'remote/teardown.ts': ['run/', 'action/post.ts'],
  'remote/engine-choice.ts': ['run/engine.ts'],
};

/** Where the SDK's SSM client and EC2's instance calls may be imported: remote/, and aws/clients.ts that builds them. */
const INSTANCE_CALLS = /\b(SSMClient|\w+Command|paginate\w+)\b/;

describe('the remote seam', () => {
  const edges = importEdges(SRC);

  it('is the only way into remote/ from the rest of src/', () => {
    const entered = edges.filter((e) => e.to.startsWith('remote/') && !e.from.startsWith('remote/'));
    expect(entered.length).toBeGreaterThan(5);
    const allowed = (e: Edge) =>
      (SEAM[e.to] ?? []).some((who) => who === '*' || e.from === who || (who.endsWith('/') && e.from.startsWith(who)));
    expect(entered.filter((e) => !allowed(e)).map((e) => `${e.from} -> ${e.to}`)).toEqual([]);
  });

  it('holds SSM and the instance calls: no file elsewhere imports them', () => {
    const outside = sourceFiles(SRC).filter((file) => !file.startsWith('remote/') && file !== 'aws/clients.ts');
    const found = outside.flatMap((file) => {
      const source = fs.readFileSync(path.join(SRC, file), 'utf8');
      const imports = [...source.matchAll(/^import\s+(?:type\s+)?\{([^}]*)\}\s*from\s*'@aws-sdk\/client-(ssm|ec2)'/gm)];
      return imports
        .filter(([, names]) => INSTANCE_CALLS.test(names ?? ''))
        .map(([, , client]) => `${file}: ${client}`);
    });
    expect(found).toEqual([]);
    // The rule sees what it must: remote/ does import them.
    expect(
      sourceFiles(SRC).filter(
        (f) => f.startsWith('remote/') && /client-ssm'/.test(fs.readFileSync(path.join(SRC, f), 'utf8')),
      ).length,
    ).toBeGreaterThan(0);
  });
});

describe('specifiers', () => {
  it('reads static, type-only, multi-line, re-exported, bare and dynamic imports', () => {
    const source = [
      "import fs from 'node:fs';",
      "import type { Config } from '../config/types.js';",
      'import {',
      '  a,',
      '  type B,',
      "} from './multi.js';",
      "export { sync } from './run/engine.js';",
      "export type * from './config/types.js';",
      "export * as core from './core/index.js';",
      "import './side-effect.js';",
      "const lazy = await import('../aws/lazy.js');",
      '/** A comment that says: import { sync } from "efsync-action" */',
      "export const x = 'from ./not-an-import.js';",
    ].join('\n');
    expect(specifiers(source)).toEqual([
      'node:fs',
      '../config/types.js',
      './multi.js',
      './run/engine.js',
      './config/types.js',
      './core/index.js',
      './side-effect.js',
      '../aws/lazy.js',
    ]);
  });
});

describe('cycles', () => {
  const edge = (from: string, to: string): Edge => ({ from, to });
  it('finds each cycle once, its files sorted, and nothing in a tree', () => {
    expect(cycles([edge('a', 'b'), edge('b', 'c'), edge('c', 'a'), edge('c', 'd'), edge('d', 'e')])).toEqual([
      ['a', 'b', 'c'],
    ]);
    expect(cycles([edge('x', 'x')])).toEqual([['x']]);
    expect(cycles([edge('a', 'b'), edge('a', 'c'), edge('b', 'c')])).toEqual([]);
  });
});

describe('violations', () => {
  const edge = (from: string, to: string): Edge => ({ from, to });

  it('names each offending edge and why', () => {
    expect(
      violations([
        edge('plan/diff.ts', 'run/engine.ts'),
        edge('config/parse.ts', 'plan/tree.ts'),
        edge('aws/preflight.ts', 'remote/instance/launch.ts'),
        edge('remote/execute.ts', 'run/engine.ts'),
        edge('aws/clients.ts', 'action/state.ts'),
        edge('remote/stage/parts.ts', 'index.ts'),
        edge('config/load.ts', 'cli/main.ts'),
        edge('core/protocol.ts', 'plan/tree.ts'),
        edge('core/outputs.ts', 'config/types.ts'),
        edge('action/main.ts', 'cli/main.ts'),
        edge('cli/main.ts', 'action/summary.ts'),
        edge('main.ts', 'cli/main.ts'),
        edge('cli/main.ts', 'index.ts'),
        edge('index.ts', 'action/main.ts'),
        edge('sync/new.ts', 'core/tree.ts'),
        edge('plan/new.ts', 'util/x.ts'),
      ]),
    ).toEqual([
      'plan/diff.ts -> run/engine.ts: plan must not import run, a layer above it',
      'config/parse.ts -> plan/tree.ts: config must not import plan, a layer above it',
      'aws/preflight.ts -> remote/instance/launch.ts: aws must not import remote, a layer above it',
      'remote/execute.ts -> run/engine.ts: remote must not import run, a layer above it',
      'aws/clients.ts -> action/state.ts: aws must not import an adapter (action)',
      'remote/stage/parts.ts -> index.ts: remote must not import an adapter (api)',
      'config/load.ts -> cli/main.ts: config must not import an adapter (cli)',
      'core/protocol.ts -> plan/tree.ts: core imports nothing from another layer',
      'core/outputs.ts -> config/types.ts: core imports nothing from another layer',
      'action/main.ts -> cli/main.ts: adapter action must not import adapter cli',
      'cli/main.ts -> action/summary.ts: adapter cli must not import adapter action',
      'main.ts -> cli/main.ts: adapter action must not import adapter cli',
      'cli/main.ts -> index.ts: adapter cli must not import adapter api',
      'index.ts -> action/main.ts: adapter api must not import adapter action',
      'sync/new.ts -> core/tree.ts: sync/new.ts is in no known layer',
      'plan/new.ts -> util/x.ts: util/x.ts is in no known layer',
    ]);
  });

  it('allows what the layering allows', () => {
    expect(
      violations([
        edge('core/outputs.ts', 'core/result.ts'),
        edge('plan/target-plan.ts', 'core/tree.ts'),
        edge('plan/target-plan.ts', 'config/types.ts'),
        edge('aws/preflight.ts', 'config/types.ts'),
        edge('run/engine.ts', 'aws/clients.ts'),
        edge('remote/stage-run.ts', 'remote/stage/parts.ts'),
        edge('remote/job.ts', 'plan/target-plan.ts'),
        edge('config/parse.ts', 'core/instance-size.ts'),
        edge('action/main.ts', 'run/engine.ts'),
        edge('cli/main.ts', 'core/outputs.ts'),
        edge('index.ts', 'run/engine.ts'),
        edge('main.ts', 'action/main.ts'),
        edge('cli.ts', 'cli/main.ts'),
      ]),
    ).toEqual([]);
  });

  it('knows the entry files at the top of src/', () => {
    expect(['main.ts', 'post.ts', 'cli.ts', 'index.ts', 'other.ts'].map(layerOf)).toEqual([
      'action',
      'action',
      'cli',
      'api',
      undefined,
    ]);
  });
});
