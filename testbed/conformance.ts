// Conformance to the service models: every AWS request the front sees is checked against the botocore service model
// (botocore/data/<service>/<version>/service-2.json[.gz], the same model the Python environment that runs moto ships)
// before moto or the test bed's SSM answers it, because moto accepts much that AWS refuses. Checked: required members,
// enums, string lengths, numeric ranges, patterns, list lengths (the model's "required", "enum", "min", "max",
// "pattern" traits). A violation is answered as the service does:
// - json and rest-json (ssm, efs): ValidationException, HTTP 400, "1 validation error detected: Value '10' at
//   'timeoutSeconds' failed to satisfy constraint: Member must have value greater than or equal to 30"
//   (https://docs.aws.amazon.com/systems-manager/latest/APIReference/CommonErrors.html);
// - query (iam, sts): ValidationError, HTTP 400, the same wording
//   (https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html, https://docs.aws.amazon.com/IAM/latest/APIReference/CommonErrors.html);
// - ec2: MissingParameter or InvalidParameterValue, HTTP 400
//   (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html);
// - s3: InvalidArgument, HTTP 400 (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html). For S3
//   only the URI, query string and header members are checked, not the XML body, nor the object bytes.
// A request the check cannot decode (no operation in the model matches it) is not refused: it is logged 'unchecked'.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import type { Protocol } from './aws-protocol.ts';

// biome-ignore lint/suspicious/noExplicitAny: the model is botocore's JSON, typed loosely on purpose
type Shape = Record<string, any>;
interface Model {
  metadata: Shape;
  operations: Record<string, Shape>;
  shapes: Record<string, Shape>;
}

export type Verdict =
  | { status: 'checked'; operation: string }
  | { status: 'unchecked'; reason: string }
  | { status: 'refused'; operation: string; code: string; message: string; httpStatus: number };

/** The signing name in the credential scope → botocore's data directory. */
const MODEL_DIRS: Record<string, string> = { elasticfilesystem: 'efs' };

let dataDir: string | undefined;
const models = new Map<string, Model | null>();
const patterns = new Map<string, RegExp | null>();

/** The Python that runs moto_server: the interpreter its script names, or, for a pyenv shim, pyenv's python shim. */
function python(): string {
  let moto = '';
  try {
    moto = execFileSync('bash', ['-c', 'command -v moto_server'], { encoding: 'utf8' }).trim();
  } catch {
    moto = path.join(process.env.PYENV_ROOT ?? path.join(os.homedir(), '.pyenv'), 'shims', 'moto_server');
  }
  const first = fs.existsSync(moto) ? (fs.readFileSync(moto, 'utf8').split('\n')[0] ?? '') : '';
  const interpreter = /^#!(\S+python[\d.]*)\s*$/.exec(first)?.[1];
  if (interpreter) return interpreter;
  const sibling = path.join(path.dirname(moto), 'python');
  return fs.existsSync(sibling) ? sibling : 'python3';
}

export function botocoreDataDir(): string {
  dataDir ??= path.join(
    execFileSync(python(), ['-c', 'import botocore, os; print(os.path.dirname(botocore.__file__))'], {
      encoding: 'utf8',
    }).trim(),
    'data',
  );
  return dataDir;
}

/** The newest API version's service-2.json (or .json.gz), parsed once and cached. */
export function loadModel(service: string): Model | null {
  const cached = models.get(service);
  if (cached !== undefined) return cached;
  let model: Model | null = null;
  try {
    const dir = path.join(botocoreDataDir(), MODEL_DIRS[service] ?? service);
    const version = fs.readdirSync(dir).sort().pop() ?? '';
    const file = path.join(dir, version, 'service-2.json');
    const text = fs.existsSync(file)
      ? fs.readFileSync(file, 'utf8')
      : zlib.gunzipSync(fs.readFileSync(`${file}.gz`)).toString('utf8');
    model = JSON.parse(text) as Model;
  } catch {}
  models.set(service, model);
  return model;
}

interface Violation {
  path: string;
  value: unknown;
  constraint: string;
  kind: 'missing' | 'invalid';
}

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

function regex(pattern: string): RegExp | null {
  if (!patterns.has(pattern)) {
    let re: RegExp | null = null;
    for (const flags of ['u', '']) {
      try {
        // The model's patterns are matched whole, as Java's Matcher.matches() does in the services that check them.
        re = new RegExp(`^(?:${pattern})$`, flags);
        break;
      } catch {}
    }
    patterns.set(pattern, re);
  }
  return patterns.get(pattern) ?? null;
}

/** Walks a value against its shape, collecting violations with AWS's member path (lowerCamel, '.member' in lists). */
function validate(model: Model, shape: Shape, value: unknown, at: string, out: Violation[]): void {
  const push = (constraint: string) => out.push({ path: at, value, constraint, kind: 'invalid' });
  switch (shape.type) {
    case 'structure': {
      if (typeof value !== 'object' || value === null) return;
      const record = value as Record<string, unknown>;
      for (const name of (shape.required ?? []) as string[])
        if (record[name] === undefined)
          out.push({
            path: at ? `${at}.${lowerFirst(name)}` : lowerFirst(name),
            value: undefined,
            constraint: 'Member must not be null',
            kind: 'missing',
          });
      for (const [name, ref] of Object.entries((shape.members ?? {}) as Record<string, Shape>)) {
        const member = record[name];
        if (member === undefined) continue;
        validate(
          model,
          model.shapes[ref.shape] ?? {},
          member,
          at ? `${at}.${lowerFirst(name)}` : lowerFirst(name),
          out,
        );
      }
      return;
    }
    case 'list': {
      if (!Array.isArray(value)) return;
      if (shape.min !== undefined && value.length < shape.min)
        push(`Member must have length greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && value.length > shape.max)
        push(`Member must have length less than or equal to ${shape.max}`);
      const item = model.shapes[shape.member?.shape] ?? {};
      value.forEach((v, i) => {
        validate(model, item, v, `${at}.${i + 1}.member`, out);
      });
      return;
    }
    case 'map': {
      if (typeof value !== 'object' || value === null) return;
      const entries = Object.entries(value as Record<string, unknown>);
      if (shape.min !== undefined && entries.length < shape.min)
        push(`Member must have length greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && entries.length > shape.max)
        push(`Member must have length less than or equal to ${shape.max}`);
      const key = model.shapes[shape.key?.shape] ?? {};
      const val = model.shapes[shape.value?.shape] ?? {};
      for (const [k, v] of entries) {
        validate(model, key, k, `${at}.key`, out);
        validate(model, val, v, `${at}.${k}.member`, out);
      }
      return;
    }
    case 'string': {
      if (typeof value !== 'string') return;
      if (Array.isArray(shape.enum) && !shape.enum.includes(value))
        push(`Member must satisfy enum value set: [${(shape.enum as string[]).join(', ')}]`);
      const length = [...value].length;
      if (shape.min !== undefined && length < shape.min)
        push(`Member must have length greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && length > shape.max)
        push(`Member must have length less than or equal to ${shape.max}`);
      const re = typeof shape.pattern === 'string' ? regex(shape.pattern) : null;
      if (re && !re.test(value)) push(`Member must satisfy regular expression pattern: ${shape.pattern}`);
      return;
    }
    case 'integer':
    case 'long':
    case 'float':
    case 'double': {
      const n = typeof value === 'number' ? value : Number(value);
      if (Number.isNaN(n)) {
        push('Member must be a number');
        return;
      }
      if (shape.min !== undefined && n < shape.min)
        push(`Member must have value greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && n > shape.max) push(`Member must have value less than or equal to ${shape.max}`);
      return;
    }
    default:
  }
}

// --- Reading a request into the operation's input, per protocol ---

/** Query and EC2 forms: structure members by name, lists as `Name.member.N` (query) or `Name.N` (EC2, flattened). */
function readForm(model: Model, shape: Shape, prefix: string, form: URLSearchParams, ec2: boolean): unknown {
  const keys = [...form.keys()];
  const under = (p: string) => keys.some((k) => k === p || k.startsWith(`${p}.`));
  switch (shape.type) {
    case 'structure': {
      const out: Record<string, unknown> = {};
      for (const [name, ref] of Object.entries((shape.members ?? {}) as Record<string, Shape>)) {
        // botocore's serialize.py: EC2 names a member by queryName, else its locationName capitalised, else its name;
        // query by its locationName, else its name.
        const wire = ec2
          ? (ref.queryName ??
            (ref.locationName ? ref.locationName.charAt(0).toUpperCase() + ref.locationName.slice(1) : name))
          : (ref.locationName ?? name);
        const full = prefix ? `${prefix}.${wire}` : wire;
        if (!under(full)) continue;
        out[name] = readForm(model, model.shapes[ref.shape] ?? {}, full, form, ec2);
      }
      return out;
    }
    case 'list': {
      if (form.get(prefix) === '') return []; // an empty list is sent as the bare name
      const flattened = ec2 || shape.flattened;
      const base = flattened ? prefix : `${prefix}.${shape.member?.locationName ?? 'member'}`;
      const indices = new Set<number>();
      for (const k of keys) {
        const m = k.startsWith(`${base}.`) ? /^(\d+)/.exec(k.slice(base.length + 1)) : null;
        if (m) indices.add(Number(m[1]));
      }
      const item = model.shapes[shape.member?.shape] ?? {};
      return [...indices].sort((a, b) => a - b).map((i) => readForm(model, item, `${base}.${i}`, form, ec2));
    }
    case 'map': {
      const out: Record<string, unknown> = {};
      const base = shape.flattened ? prefix : `${prefix}.entry`;
      for (let i = 1; form.has(`${base}.${i}.${shape.key?.locationName ?? 'key'}`); i++) {
        const k = form.get(`${base}.${i}.${shape.key?.locationName ?? 'key'}`) ?? '';
        out[k] = readForm(
          model,
          model.shapes[shape.value?.shape] ?? {},
          `${base}.${i}.${shape.value?.locationName ?? 'value'}`,
          form,
          ec2,
        );
      }
      return out;
    }
    default:
      return form.get(prefix) ?? undefined;
  }
}

/** The REST operation whose method and requestUri match: the one with the most literal segments and query markers. */
function restOperation(
  model: Model,
  method: string,
  url: URL,
  hint: string,
): { name: string; uri: Record<string, string> } | null {
  let best: { name: string; uri: Record<string, string>; score: number } | null = null;
  // S3's requestUris carry `?x-id=PutObject` markers that presigned URLs leave out: the operation the front already
  // recognised (aws-protocol.ts), when the model has it, is the only candidate.
  const candidates = model.operations[hint]?.http?.method === method ? [hint] : Object.keys(model.operations);
  for (const name of candidates) {
    const op = model.operations[name] ?? {};
    if (op.http?.method !== method) continue;
    const [template = '', query = ''] = String(op.http.requestUri).split('?');
    const markers = (query ? query.split('&').map((q) => q.split('=')) : []).filter(
      ([k]) => candidates.length > 1 || k !== 'x-id',
    );
    if (!markers.every(([k = '', v]) => url.searchParams.has(k) && (v === undefined || url.searchParams.get(k) === v)))
      continue;
    const names: string[] = [];
    const source = template
      .replace(/[.*+?^$()|[\]\\]/g, (c) => (c === '+' ? c : `\\${c}`))
      .replace(/\{([^}+]+)(\+?)\}/g, (_, n: string, greedy: string) => {
        names.push(n);
        return greedy ? '(.+)' : '([^/]+)';
      })
      .replace(/\/$/, '');
    const m = new RegExp(`^${source}/?$`).exec(url.pathname);
    if (!m) continue;
    const score = template.replace(/\{[^}]+\}/g, '').length + markers.length * 100;
    if (best && best.score >= score) continue;
    const uri: Record<string, string> = {};
    names.forEach((n, i) => {
      uri[n] = decodeURIComponent(m[i + 1] ?? '');
    });
    best = { name, uri, score };
  }
  return best;
}

function readRest(
  model: Model,
  shape: Shape,
  uri: Record<string, string>,
  url: URL,
  headers: IncomingHttpHeaders,
  body: unknown,
  bodyChecked: boolean,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const json = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  for (const [name, ref] of Object.entries((shape.members ?? {}) as Record<string, Shape>)) {
    const wire = ref.locationName ?? name;
    const target = model.shapes[ref.shape] ?? {};
    if (ref.location === 'uri') out[name] = uri[wire];
    else if (ref.location === 'querystring') {
      const all = url.searchParams.getAll(wire);
      if (all.length) out[name] = target.type === 'list' ? all : all[0];
    } else if (ref.location === 'header') {
      const h = headers[wire.toLowerCase()];
      if (h !== undefined)
        out[name] =
          target.type === 'list'
            ? String(h)
                .split(',')
                .map((s) => s.trim())
            : String(h);
    } else if (ref.location === 'headers' || ref.location === 'statusCode') {
    } else if (bodyChecked) out[name] = shape.payload === name ? body : json[wire];
    else out[name] = '(body not checked)';
  }
  return out;
}

function reply(protocol: Protocol, operation: string, violations: Violation[]): Verdict {
  const [first] = violations;
  if (!first) return { status: 'checked', operation };
  if (protocol === 'ec2') {
    const name = first.path.replace(/\.member/g, '');
    return first.kind === 'missing'
      ? {
          status: 'refused',
          operation,
          code: 'MissingParameter',
          httpStatus: 400,
          message: `The request must contain the parameter ${name}`,
        }
      : {
          status: 'refused',
          operation,
          code: 'InvalidParameterValue',
          httpStatus: 400,
          // EC2 names the value and the parameter; an enum's whole value set is not worth repeating.
          message: `Value (${String(first.value)}) for parameter ${name} is invalid. ${first.constraint.replace(/: \[.*\]$/s, '')}`,
        };
  }
  const n = violations.length;
  const message = `${n} validation error${n > 1 ? 's' : ''} detected: ${violations
    .map(
      (v) =>
        `Value ${v.value === undefined ? 'null' : `'${String(typeof v.value === 'object' ? JSON.stringify(v.value) : v.value)}'`} at '${v.path}' failed to satisfy constraint: ${v.constraint}`,
    )
    .join('; ')}`;
  const code =
    protocol === 'query' ? 'ValidationError' : protocol === 'rest-xml' ? 'InvalidArgument' : 'ValidationException';
  return { status: 'refused', operation, code, httpStatus: 400, message };
}

/** Checks one request against its service's model; never throws. */
export function checkRequest(
  service: string,
  protocol: Protocol,
  method: string,
  url: URL,
  headers: IncomingHttpHeaders,
  body: Buffer | undefined,
  hint = '',
): Verdict {
  try {
    const model = loadModel(service);
    if (!model) return { status: 'unchecked', reason: `no botocore model for ${service}` };
    let operation: string;
    let input: unknown;
    if (protocol === 'ec2' || protocol === 'query') {
      const form = new URLSearchParams(body?.length ? body.toString('utf8') : url.search);
      operation = form.get('Action') ?? '';
      const op = model.operations[operation];
      if (!op) return { status: 'unchecked', reason: `no operation ${operation || '(none)'} in the ${service} model` };
      input = op.input ? readForm(model, model.shapes[op.input.shape] ?? {}, '', form, protocol === 'ec2') : {};
    } else if (protocol === 'json') {
      operation =
        String(headers['x-amz-target'] ?? '')
          .split('.')
          .pop() ?? '';
      const op = model.operations[operation];
      if (!op) return { status: 'unchecked', reason: `no operation ${operation || '(none)'} in the ${service} model` };
      input = JSON.parse(body?.toString('utf8') || '{}');
    } else {
      const found = restOperation(model, method, url, hint);
      if (!found) return { status: 'unchecked', reason: `no ${service} operation matches ${method} ${url.pathname}` };
      operation = found.name;
      // A body that is the operation's blob payload (Lambda's Invoke) is the caller's own bytes: nothing to check.
      const inputShape = model.shapes[model.operations[operation]?.input?.shape ?? ''];
      const blob =
        inputShape?.payload && model.shapes[inputShape.members?.[inputShape.payload]?.shape]?.type === 'blob';
      const bodyChecked = protocol === 'rest-json' && body !== undefined && !blob;
      let parsed: unknown = {};
      if (bodyChecked && body.length) parsed = JSON.parse(body.toString('utf8'));
      const shapeName = model.operations[operation]?.input?.shape;
      input = shapeName
        ? readRest(model, model.shapes[shapeName] ?? {}, found.uri, url, headers, parsed, bodyChecked)
        : {};
    }
    const shapeName = model.operations[operation]?.input?.shape;
    const violations: Violation[] = [];
    if (shapeName) validate(model, model.shapes[shapeName] ?? {}, input, '', violations);
    return reply(
      protocol,
      operation,
      violations.filter((v) => v.value !== '(body not checked)'),
    );
  } catch (error) {
    return { status: 'unchecked', reason: `could not decode: ${String(error)}` };
  }
}
