// efsync.yaml: the predecessor's keys mapped onto inputs, inputs winning, and efsync's nesting in this mode only.
import { describe, expect, it } from 'vitest';
import { load, loadError, tempWorkspace } from '../support/config.ts';

const FULL = `
efs_filesystem_id: fs-0123456789abcdef0
subnet_Id: subnet-0123456789abcdef0
ec2_key_name: efsync-key
aws_profile: ml
aws_region: eu-central-1
efs_pip_dir: python
python_version: 3.10
requirements: requirements.txt
s3_bucket: my-models
s3_keyprefix: distilbert
file_dir_on_ec2: ml
clean_efs: all
`;

function fromFile(text: string, inputs: Record<string, string> = {}) {
  const workspace = tempWorkspace({ 'efsync.yaml': text });
  return load({ 'staging-bucket': 'efsync-staging', config: 'efsync.yaml', ...inputs }, { workspace });
}

describe('efsync.yaml keys', () => {
  it('maps every key of the predecessor', () => {
    const { config, notices, warnings } = fromFile(FULL);
    expect(config.fileSystem.id).toBe('fs-0123456789abcdef0');
    expect(config.fileSystem.subnetId).toBe('subnet-0123456789abcdef0');
    expect(config.aws).toMatchObject({ region: 'eu-central-1', profile: 'ml' });
    // Read as a string: unquoted 3.10 in YAML would otherwise be the number 3.1.
    expect(config.deps).toMatchObject({ requirements: 'requirements.txt', pythonVersion: '3.10', target: 'python' });
    expect(config.s3).toEqual({ source: { bucket: 'my-models', prefix: 'distilbert/' }, target: 'ml' });
    expect(config.delete).toBe(true);
    expect(config.configFile).toBe('efsync.yaml');
    expect(notices).toEqual([
      'ec2_key_name is ignored: efsync-action drives the instance through SSM, with no SSH key.',
    ]);
    expect(warnings[0]).toContain('python3.10 is deprecated');
  });

  it('nests file_dir under file_dir_on_ec2, as efsync did', () => {
    const { config } = fromFile(
      'efs_filesystem_id: fs-12345678\naws_region: eu-west-1\nfile_dir: data/models\nfile_dir_on_ec2: ml\n',
    );
    expect(config.local).toEqual({ dir: 'data/models', target: 'ml/models' });
  });

  it("without file_dir_on_ec2, uses the inputs' defaults", () => {
    const { config } = fromFile('efs_filesystem_id: fs-12345678\naws_region: eu-west-1\nfile_dir: data/models\n');
    expect(config.local).toEqual({ dir: 'data/models', target: 'models' });
  });

  it('lets inputs win over keys, and inputs left at their default yield to the file', () => {
    const { config } = fromFile(FULL, {
      'file-system-id': 'fs-0fedcba9876543210',
      'pip-target': 'lib',
      delete: 'false',
    });
    expect(config.fileSystem.id).toBe('fs-0fedcba9876543210');
    // pip-target: lib is the default, so efs_pip_dir still applies.
    expect(config.deps?.target).toBe('python');
    expect(config.delete).toBe(false);
  });

  it.each([
    ['false', false],
    ['True', false],
    ['pip', true],
    ['file', true],
  ])('maps clean_efs %s to delete %s', (value, expected) => {
    const { config } = fromFile(
      `efs_filesystem_id: fs-12345678\naws_region: eu-west-1\nrequirements: r.txt\nclean_efs: ${value}\n`,
    );
    expect(config.delete).toBe(expected);
  });
});

describe('efsync.yaml problems name the key and the file', () => {
  const workspace = (text: string) => tempWorkspace({ 'efsync.yaml': text });
  const error = (text: string) =>
    loadError({ config: 'efsync.yaml', 'staging-bucket': 'stage-1' }, { workspace: workspace(text) });

  it('refuses an unknown key, as a typo', () => {
    expect(error('efs_filesystemid: fs-12345678\n')).toContain(
      "'efs_filesystemid' in efsync.yaml: is not an efsync key. Use one of efs_filesystem_id,",
    );
  });

  it('refuses a key that is not a single value', () => {
    expect(error('requirements:\n  - a.txt\n')).toBe(
      "'requirements' in efsync.yaml: is not a single value. Write it on one line, e.g. key: value.",
    );
  });

  it('refuses YAML that does not parse, and duplicate keys', () => {
    expect(error('a: [1\n')).toMatch(/^File 'efsync.yaml': is not valid YAML \(.+\)\. Fix the file\.$/);
    expect(error('aws_region: a\naws_region: b\n')).toContain('is not valid YAML');
  });

  it('refuses a file that is not a mapping', () => {
    expect(error('- a\n- b\n')).toBe(
      "File 'efsync.yaml': is not a mapping of efsync keys. Write lines like efs_filesystem_id: fs-0123456789abcdef0.",
    );
  });

  it('reports bad values under the key that gave them', () => {
    expect(
      error('efs_filesystem_id: fs-12345678\naws_region: eu-west-1\nrequirements: r.txt\npython_version: 3.8\n'),
    ).toBe(
      "'python_version' in efsync.yaml: '3.8' is not a Lambda Python runtime. Write one of 3.10, 3.11, 3.12, 3.13, 3.14 (quoted in YAML, e.g. '3.13').",
    );
  });

  it('refuses s3_keyprefix without s3_bucket, and a bad clean_efs', () => {
    expect(error('s3_keyprefix: x\n')).toContain(
      "'s3_keyprefix' in efsync.yaml: is set without s3_bucket. Add s3_bucket.",
    );
    expect(error('clean_efs: everything\n')).toContain(
      "'clean_efs' in efsync.yaml: 'everything' is not an efsync clean_efs value. Write all, pip, file or false.",
    );
  });

  it('puts file_dir inside the S3 target when both share file_dir_on_ec2, as efsync did', () => {
    const { config } = fromFile(
      'efs_filesystem_id: fs-12345678\naws_region: eu-west-1\ns3_bucket: my-models\nfile_dir: data/models\nfile_dir_on_ec2: ml\n',
    );
    expect(config.s3?.target).toBe('ml');
    expect(config.local).toEqual({ dir: 'data/models', target: 'ml/models' });
  });

  it('says when the file is missing or outside the workspace', () => {
    expect(loadError({ config: 'missing.yaml' }, { workspace: workspace('') })).toBe(
      "Input 'config': 'missing.yaml' does not exist in the workspace. Write the path of your efsync.yaml, e.g. efsync.yaml.",
    );
    expect(loadError({ config: '../efsync.yaml' }, { workspace: workspace('') })).toBe(
      "Input 'config': '../efsync.yaml' is outside the workspace. Write a path inside the repository, e.g. efsync.yaml.",
    );
  });
});
