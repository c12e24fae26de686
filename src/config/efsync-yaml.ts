/**
 * Reads an efsync.yaml, the predecessor's configuration file, into input values. Its keys map onto inputs one to
 * one, except where efsync's behaviour differs; those cases are noted here and in the README.
 */
import path from 'node:path';
import { parseDocument } from 'yaml';
import type { InputName, InputValues } from './inputs.js';
import { type Problems, quote } from './problems.js';
import { booleanValue } from './scalars.js';

export interface EfsyncFile {
  values: InputValues;
  /** `aws_profile`: a named profile for the SDK default chain (the CLI and API honour it). */
  profile?: string;
  /** Things the user should know about how a key was taken. */
  notices: string[];
}

const DIRECT_KEYS: Record<string, InputName> = {
  efs_filesystem_id: 'file-system-id',
  subnet_Id: 'subnet-id',
  aws_region: 'aws-region',
  efs_pip_dir: 'pip-target',
  python_version: 'python-version',
  requirements: 'requirements',
  file_dir: 'local-dir',
};
const OTHER_KEYS = ['ec2_key_name', 'aws_profile', 's3_bucket', 's3_keyprefix', 'file_dir_on_ec2', 'clean_efs'];
const KNOWN_KEYS = [...Object.keys(DIRECT_KEYS), ...OTHER_KEYS];

/**
 * Maps the text of an efsync.yaml. `fileLabel` names the file in messages. Scalars are read as strings (the YAML
 * failsafe schema), so `python_version: 3.10` stays '3.10' rather than becoming the number 3.1.
 */
export function readEfsyncYaml(problems: Problems, fileLabel: string, text: string): EfsyncFile {
  const fileItself = `file '${fileLabel}'`;
  const result: EfsyncFile = { values: {}, notices: [] };
  const doc = parseDocument(text, { schema: 'failsafe', uniqueKeys: true });
  if (doc.errors.length > 0) {
    problems.add(fileItself, `is not valid YAML (${doc.errors[0]?.message.split('\n')[0]}). Fix the file.`);
    return result;
  }
  const data: unknown = doc.toJS();
  if (data === null || data === undefined) return result;
  if (typeof data !== 'object' || Array.isArray(data)) {
    problems.add(
      fileItself,
      'is not a mapping of efsync keys. Write lines like efs_filesystem_id: fs-0123456789abcdef0.',
    );
    return result;
  }
  const keys: Record<string, string> = {};
  for (const [key, value] of Object.entries(data)) {
    const label = `'${key}' in ${fileLabel}`;
    if (!KNOWN_KEYS.includes(key)) {
      problems.add(label, `is not an efsync key. Use one of ${KNOWN_KEYS.join(', ')}.`);
    } else if (typeof value !== 'string') {
      problems.add(label, 'is not a single value. Write it on one line, e.g. key: value.');
    } else if (value.trim() !== '') {
      keys[key] = value.trim();
    }
  }
  const set = (name: InputName, key: string, value = keys[key]) => {
    if (value !== undefined) result.values[name] = { value, label: `'${key}' in ${fileLabel}` };
  };
  for (const [key, name] of Object.entries(DIRECT_KEYS)) set(name, key);

  if (keys.ec2_key_name !== undefined) {
    result.notices.push('ec2_key_name is ignored: efsync-action drives the instance through SSM, with no SSH key.');
  }
  if (keys.aws_profile !== undefined) result.profile = keys.aws_profile;
  mapS3Keys(problems, fileLabel, keys, set);
  mapFileDirOnEc2(keys, set);
  mapCleanEfs(problems, fileLabel, keys, set, result.notices);
  return result;
}

type Setter = (name: InputName, key: string, value?: string) => void;

function mapS3Keys(problems: Problems, fileLabel: string, keys: Record<string, string>, set: Setter): void {
  const { s3_bucket: bucket, s3_keyprefix: prefix } = keys;
  if (bucket === undefined) {
    if (prefix !== undefined)
      problems.add(`'s3_keyprefix' in ${fileLabel}`, 'is set without s3_bucket. Add s3_bucket.');
    return;
  }
  const cleanPrefix = (prefix ?? '').replace(/^\/+/, '');
  set('s3-source', 's3_bucket', `s3://${bucket}/${cleanPrefix}`);
}

/**
 * efsync synced S3 objects into file_dir_on_ec2 itself, and copied file_dir to file_dir_on_ec2/<basename of
 * file_dir>. Both are reproduced here, and only here. With both sources the folder lies inside the S3 target, which
 * publishes it in the S3 target's release (see localInsideS3).
 */
function mapFileDirOnEc2(keys: Record<string, string>, set: Setter): void {
  const dirOnEc2 = keys.file_dir_on_ec2;
  if (dirOnEc2 === undefined) return;
  if (keys.s3_bucket !== undefined) set('s3-target', 'file_dir_on_ec2', dirOnEc2);
  if (keys.file_dir !== undefined) {
    const base = path.basename(path.resolve('/', keys.file_dir));
    set('local-target', 'file_dir_on_ec2', `${dirOnEc2.replace(/\/+$/, '')}/${base}`);
  }
}

/** efsync emptied targets only for 'all', 'pip' or 'file' and merged otherwise; `delete` is the same choice. */
function mapCleanEfs(
  problems: Problems,
  fileLabel: string,
  keys: Record<string, string>,
  set: Setter,
  notices: string[],
): void {
  const clean = keys.clean_efs;
  if (clean === undefined) return;
  const label = `'clean_efs' in ${fileLabel}`;
  if (['all', 'pip', 'file'].includes(clean)) {
    set('delete', 'clean_efs', 'true');
    if (clean !== 'all')
      notices.push(
        `clean_efs: ${clean} now applies to every target: each one is published as an exact copy of its source.`,
      );
    return;
  }
  if (booleanValue(clean) === undefined) {
    problems.add(label, `${quote(clean)} is not an efsync clean_efs value. Write all, pip, file or false.`);
    return;
  }
  // efsync cleaned nothing for true or false: files gone from the source stayed on EFS.
  set('delete', 'clean_efs', 'false');
}
