// action.yml, the config parser and the README describe one contract: the same inputs, defaults and outputs.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadActionConfig } from '../../src/action/inputs.js';
import { INPUT_DEFAULTS, INPUT_NAMES, type InputName } from '../../src/config/inputs.js';
import { OUTPUT_NAMES } from '../../src/core/outputs.js';
import { tempWorkspace } from '../support/config.ts';
import { actionYml, ROOT, readmeTable } from '../support/repo.ts';

const action = actionYml();

describe('action.yml', () => {
  it('runs on node24 with main and post bundles that exist', () => {
    expect(action.runs.using).toBe('node24');
    expect(fs.existsSync(path.join(ROOT, action.runs.main))).toBe(true);
    expect(fs.existsSync(path.join(ROOT, action.runs.post))).toBe(true);
  });

  it('declares exactly the inputs the parser knows, with the same defaults', () => {
    expect(Object.keys(action.inputs).sort()).toEqual([...INPUT_NAMES].sort());
    for (const [name, input] of Object.entries(action.inputs)) {
      expect(input.description, name).not.toBe('');
      expect(input.default, name).toBe(INPUT_DEFAULTS[name as InputName]);
    }
  });

  it('declares exactly the outputs the action sets', () => {
    expect(Object.keys(action.outputs).sort()).toEqual([...OUTPUT_NAMES].sort());
  });
});

describe('README', () => {
  it('documents every input of action.yml with its default, and no other', () => {
    const rows = readmeTable('Inputs');
    expect(rows.map(([name]) => name).sort()).toEqual(Object.keys(action.inputs).sort());
    for (const [name, defaultValue, description] of rows) {
      const input = action.inputs[name ?? ''];
      expect(defaultValue, name).toBe(input?.default ?? '');
      expect(description, name).toBe(input?.description.replace(/\s+/g, ' ').trim());
    }
  });

  it('documents every output of action.yml, and no other', () => {
    const rows = readmeTable('Outputs');
    expect(rows.map(([name]) => name).sort()).toEqual(Object.keys(action.outputs).sort());
  });
});

describe('every input is read by the config parser', () => {
  // A valid value other than the default for each input; setting it must change the Config.
  const workspace = tempWorkspace({ 'efsync.yaml': 'clean_efs: all\n', 'requirements.txt': '' });
  const base: Partial<Record<InputName, string>> = {
    'aws-region': 'eu-central-1',
    'file-system-id': 'fs-0123456789abcdef0',
    'staging-bucket': 'efsync-staging',
    requirements: 'requirements.txt',
    'local-dir': 'models',
    's3-source': 's3://ml-models/bert/',
  };
  const other: Record<InputName, string> = {
    'aws-region': 'us-east-1',
    'role-to-assume': 'arn:aws:iam::123456789012:role/efsync',
    'role-session-name': 'deploy',
    'role-duration-seconds': '7200',
    audience: 'sts.example.com',
    'file-system-id': 'fs-0fedcba9876543210',
    'access-point-id': 'fsap-0123456789abcdef0',
    'subnet-id': 'subnet-0123456789abcdef0',
    'security-group-ids': 'sg-0123456789abcdef0',
    stack: 'efsync-models',
    'instance-profile': 'other-profile',
    'instance-type': 'c7i.large',
    'lambda-mount-path': '/mnt/data',
    requirements: 'requirements-prod.txt',
    'python-version': '3.12',
    architecture: 'arm64',
    'pip-target': 'python',
    'pip-args': '--pre',
    installer: 'uv',
    compile: 'false',
    'verify-imports': 'false',
    'verify-imports-skip': 'yaml, google.protobuf',
    'local-dir': 'weights',
    'local-target': 'model-files',
    's3-source': 's3://ml-models/gpt/',
    's3-target': 'gpt-files',
    'staging-bucket': 'other-staging',
    'staging-prefix': 'ci/',
    delete: 'false',
    'keep-releases': '5',
    'keep-releases-minutes': '60',
    force: 'true',
    'dry-run': 'true',
    'timeout-minutes': '30',
    'keep-warm': '15',
    'instance-id': 'i-0123456789abcdef0',
    engine: 'instance',
    'writer-function': 'efsync-models-writer',
    config: 'efsync.yaml',
    mode: 'rollback',
  };
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  function configWith(inputs: Partial<Record<InputName, string>>): string {
    for (const key of Object.keys(process.env)) if (key.startsWith('INPUT_')) delete process.env[key];
    for (const name of INPUT_NAMES) process.env[`INPUT_${name.toUpperCase()}`] = INPUT_DEFAULTS[name];
    for (const [name, value] of Object.entries(inputs)) process.env[`INPUT_${name.toUpperCase()}`] = value;
    return JSON.stringify(loadActionConfig({ GITHUB_WORKSPACE: workspace }).config);
  }

  it.each(Object.keys(action.inputs))('%s', (name) => {
    const value = other[name as InputName];
    expect(value).not.toBe(INPUT_DEFAULTS[name as InputName]);
    // delete: false from the input, against delete: true from the file, shows the input was read and won.
    expect(configWith({ ...base, [name]: value })).not.toEqual(configWith(base));
  });
});
