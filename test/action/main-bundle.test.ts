// The committed main bundle, run as the runner runs it: bad input fails with one message and no network call.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INPUTS } from '../fixtures/inputs.ts';
import { ROOT } from '../support/repo.ts';
import { parseCommandFile, runBundle } from '../support/run-action.ts';

const denyNetwork = path.join(ROOT, 'test/support/deny-network.mjs');
let server: http.Server;
let hits = 0;
let endpoint = '';

beforeAll(async () => {
  // Stands in for every AWS endpoint and the OIDC token service: any request would be counted here.
  server = http.createServer((_req, res) => {
    hits++;
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => server.close());

function networkEnv(log: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    ACTIONS_ID_TOKEN_REQUEST_URL: `${endpoint}/token`,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-token',
    AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'secret',
    EFSYNC_NETWORK_LOG: log,
  };
}

describe('main bundle with a bad input', () => {
  it('exits 1 with the message, writes no output, and makes no network call', () => {
    const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'efsync-net-')), 'calls');
    const inputs = { ...INPUTS.ALL, 'python-version': '3.8' };
    const step = runBundle('main', inputs, networkEnv(log), ['--import', denyNetwork]);

    expect(step.status).toBe(1);
    expect(step.stdout).toContain(
      "::error::Input 'python-version': '3.8' is not a Lambda Python runtime. Write one of 3.10, 3.11, 3.12, 3.13, 3.14 (quoted in YAML, e.g. '3.13').",
    );
    expect(step.stdout.match(/::error::/g)).toHaveLength(1);
    expect(step.output).toBe('');
    expect(step.summary).toBe('');
    expect(fs.existsSync(log)).toBe(false);
    expect(hits).toBe(0);
  });

  it('warns about a deprecated runtime exactly once', () => {
    const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'efsync-net-')), 'calls');
    const inputs = { ...INPUTS.ALL, 'python-version': '3.10' };
    const step = runBundle('main', inputs, networkEnv(log), ['--import', denyNetwork]);

    const warnings = step.stdout.split('\n').filter((line) => line.startsWith('::warning::python3.10 is deprecated'));
    expect(warnings).toHaveLength(1);
    // The run went past loading the configuration, into the engine, where a second validation once warned again.
    expect(step.stdout).toContain('::group::Credentials');
    expect(step.status).toBe(1);
  });

  it('the network guard does catch a connection (so the test above can fail)', () => {
    const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'efsync-net-')), 'calls');
    const result = spawnSync(
      process.execPath,
      ['--import', denyNetwork, '-e', `fetch(${JSON.stringify(endpoint)}).catch(() => process.exit(3))`],
      { env: { ...process.env, EFSYNC_NETWORK_LOG: log }, encoding: 'utf8' },
    );
    expect(result.status).toBe(3);
    expect(fs.readFileSync(log, 'utf8')).toContain('connect');
  });
});

describe('main bundle with good input but no credentials', () => {
  it('fails in one place, naming the fix, with no output and nothing left to clean up', () => {
    const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'efsync-net-')), 'calls');
    const step = runBundle(
      'main',
      { ...INPUTS.DEPS, 'dry-run': 'true' },
      // No credentials anywhere, and the instance metadata service off: the default chain finds nothing.
      { AWS_ENDPOINT_URL: endpoint, AWS_EC2_METADATA_DISABLED: 'true', EFSYNC_NETWORK_LOG: log },
      ['--import', denyNetwork],
    );
    expect(step.status).toBe(1);
    expect(step.stdout).toMatch(
      /::error::No usable AWS credentials \(.+\)\. Set role-to-assume for GitHub OIDC, or run aws-actions\/configure-aws-credentials before this step\./,
    );
    expect(step.output).toBe('');
    expect(fs.existsSync(log)).toBe(false);
    expect(parseCommandFile(step.state)).toEqual({ started: 'true', region: 'eu-central-1' });
  });

  it('says how to grant the OIDC token when role-to-assume is set without one', () => {
    const step = runBundle('main', { ...INPUTS.ALL, 'dry-run': 'true' }, { AWS_EC2_METADATA_DISABLED: 'true' });
    expect(step.status).toBe(1);
    expect(step.stdout).toContain(
      '::error::role-to-assume is set, but the job has no GitHub OIDC token. Grant it with `permissions: id-token: write`',
    );
  });
});

describe('post bundle', () => {
  it('has nothing to clean up when main recorded nothing', () => {
    const step = runBundle('post', {}, { STATE_started: 'true' });
    expect(step.status).toBe(0);
    expect(step.stdout).toContain('Nothing to clean up');
  });
});
