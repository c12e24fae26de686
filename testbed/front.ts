// The front every AWS client reaches through AWS_ENDPOINT_URL. It routes by the service in the SigV4 credential
// scope: SSM Run Command and Lambda (lambda-api.ts) are answered here, everything else goes to moto unchanged. On the
// way it logs each call, injects faults, checks OIDC tokens for STS, refuses a root volume EC2 would refuse (disk.ts),
// gives KMS-encrypted objects ETags that are not the MD5 of their data (kms-etags.ts), evaluates the action role's
// requests against its IAM policies (iam-eval.ts), and notices instances that start or stop.
import http from 'node:http';
import { type AwsRequest, describeRequest, errorReply } from './aws-protocol.ts';
import { checkRequest } from './conformance.ts';
import type { Disk } from './disk.ts';
import type { Faults } from './faults.ts';
import type { IamEvaluator } from './iam-eval.ts';
import { checksFor, type Lookup } from './iam-requests.ts';
import { etagAnswer, KmsEtags, keyOfPath } from './kms-etags.ts';
import { Bandwidth, pendingUntilBooted, sleep, throttle } from './latency.ts';
import { withStateReasons } from './launch-faults.ts';
import type { OidcIssuer } from './oidc.ts';
import { REFUSAL_CODES, refusalReply } from './refusals.ts';
import type { Done, RequestLog } from './request-log.ts';
import { accessKeyOf, type Sessions } from './sessions.ts';
import { type RunCommand, SsmError } from './ssm.ts';
import { withoutWithheld } from './zones.ts';

const SSM_OPERATIONS = new Set([
  'SendCommand',
  'GetCommandInvocation',
  'ListCommandInvocations',
  'ListCommands',
  'CancelCommand',
  'DescribeInstanceInformation',
]);
// Bodies small enough to read whole: every protocol but S3's object bodies.
const BUFFERED = new Set(['ec2', 'iam', 'sts', 'ssm', 'elasticfilesystem', 'lambda']);

export interface FrontHooks {
  /** Control and OIDC requests under /__testbed/. */
  control(req: http.IncomingMessage, res: http.ServerResponse, url: URL, body: Buffer): Promise<void>;
  /** Before RunInstances reaches moto: EC2's refusal of the request, or the disk its instances get (disk.ts). */
  launching(
    form: URLSearchParams,
  ): Promise<{ refusal?: { code: string; message: string; status?: number }; disk?: Disk }>;
  /** After moto launched instances, before RunInstances answers: their ids, the user data they were given, their disk. */
  launched(ids: string[], userData: string | undefined, disk: Disk | undefined): Promise<void>;
  /** After moto terminated or stopped instances. */
  stopped(ids: string[]): void;
  /** After moto accepted RebootInstances (reboot.ts). */
  rebooted(ids: string[]): void;
}

export interface FrontDeps {
  motoEndpoint: string;
  faults: Faults;
  log: RequestLog;
  ssm: RunCommand;
  oidc: OidcIssuer;
  sessions: Sessions;
  hooks: FrontHooks;
  iam: { evaluator: IamEvaluator; lookup: Lookup };
  /** Lambda's API, answered by the bed (lambda-api.ts): returns the status it answered. */
  lambda?: {
    handle(
      req: http.IncomingMessage,
      res: http.ServerResponse,
      url: URL,
      operation: string,
      body: Buffer | undefined,
    ): Promise<number>;
  };
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function send(res: http.ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}

export function createFront(deps: FrontDeps): http.Server {
  const { faults, log, ssm, oidc, sessions, hooks } = deps;
  const moto = new URL(deps.motoEndpoint);
  const kmsEtags = new KmsEtags(deps.motoEndpoint, 'us-east-1');
  // With a latency model: S3 bytes share one pipe each way, as on one network interface.
  const s3Pipes = { up: new Bandwidth(1), down: new Bandwidth(1), mibps: 0 };
  const pipes = (mibps: number) => {
    if (s3Pipes.mibps !== mibps)
      Object.assign(s3Pipes, { up: new Bandwidth(mibps), down: new Bandwidth(mibps), mibps });
    return s3Pipes;
  };

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://front');
    if (url.pathname.startsWith('/__testbed/')) {
      await hooks.control(req, res, url, await readBody(req));
      return;
    }
    const service = /Credential=[^/,]+\/\d{8}\/[^/]+\/([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1];
    const unsignedForm =
      !req.headers.authorization && String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded');
    // S3's DeleteObjects names its keys in the body, and IAM authorizes each key (iam-requests.ts).
    const deleteObjects = service === 's3' && req.method === 'POST' && url.searchParams.has('delete');
    const buffered = BUFFERED.has(service ?? '') || unsignedForm || deleteObjects ? await readBody(req) : undefined;
    const request = describeRequest(req.method ?? 'GET', url, req.headers, buffered);
    const verdict =
      faults.settings.conformance === false
        ? undefined
        : checkRequest(
            request.service,
            request.protocol,
            req.method ?? 'GET',
            url,
            req.headers,
            buffered,
            request.operation,
          );
    request.check = verdict?.status ?? 'off';
    const done = log.start(request);
    // Credentials are checked as the request arrives, before any latency or fault the test bed adds.
    const expired = sessions.expired(accessKeyOf(req.headers, url), request.protocol, request.service);
    if (expired) {
      const reply = errorReply(request.protocol, expired.code, expired.message, expired.status);
      done(expired.status, 'testbed');
      send(res, reply.status, reply.headers, reply.body);
      return;
    }

    const latency = faults.settings.latency;
    if (latency) await sleep(request.service === 's3' ? latency.s3FirstByteMs : latency.apiMs);

    const rule = faults.match(request.service, request.operation, url.pathname);
    if (rule?.latencyMs) await new Promise((r) => setTimeout(r, rule.latencyMs));
    if (rule?.reset) {
      done(0, 'fault');
      req.socket.destroy();
      return;
    }
    if (rule && (rule.code || rule.status)) {
      const status = faults.statusOf(rule, request.service);
      const code = rule.code ?? (status === 503 ? 'ServiceUnavailable' : 'InternalError');
      // A refusal without a message of its own is worded as the service words it (refusals.ts).
      const refusal =
        rule.message === undefined && REFUSAL_CODES.has(code)
          ? refusalReply(request, rule, sessions.principalOf(accessKeyOf(req.headers, url)), regionOf(req, url), url)
          : undefined;
      const reply = refusal
        ? errorReply(request.protocol, refusal.code, refusal.message, rule.status ?? refusal.status)
        : errorReply(request.protocol, code, rule.message ?? `Injected by the test bed: ${code}`, status);
      done(reply.status, 'fault');
      send(res, reply.status, reply.headers, reply.body);
      return;
    }
    // After injected faults (a throttle answers before AWS reads the request), before anything answers it.
    if (verdict?.status === 'refused') {
      const reply = errorReply(request.protocol, verdict.code, verdict.message, verdict.httpStatus);
      done(reply.status, 'testbed');
      send(res, reply.status, reply.headers, reply.body);
      return;
    }

    // Authorization, after the request is known to be well formed, before anything answers it.
    if (faults.settings.iam !== false && (await refusedByIam(req, url, request, buffered, res, done))) return;

    if (request.service === 'lambda' && deps.lambda) {
      done(await deps.lambda.handle(req, res, url, request.operation, buffered), 'testbed');
      return;
    }
    if (request.service === 'ssm' && SSM_OPERATIONS.has(request.operation)) {
      await answerSsm(request, buffered, res, done);
      return;
    }
    if (request.service === 'sts' && request.operation === 'AssumeRoleWithWebIdentity') {
      const token = new URLSearchParams(buffered?.toString('utf8') ?? '').get('WebIdentityToken') ?? '';
      const refusal =
        oidc.refusal(token) ??
        // The role's trust policy decides who may assume it: the token's claims against its conditions. STS answers
        // AccessDenied, "Not authorized to perform sts:AssumeRoleWithWebIdentity" (403; AssumeRoleWithWebIdentity,
        // Errors, https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html, and the
        // message quoted in aws-actions/configure-aws-credentials' README).
        (faults.settings.iam !== false &&
        !deps.iam.evaluator.trusts(
          new URLSearchParams(buffered?.toString('utf8') ?? '').get('RoleArn') ?? '',
          oidc.claims(token),
        )
          ? { code: 'AccessDenied', message: 'Not authorized to perform sts:AssumeRoleWithWebIdentity', status: 403 }
          : undefined);
      if (refusal) {
        const status = 'status' in refusal ? refusal.status : 400;
        const reply = errorReply('query', refusal.code, refusal.message, status);
        done(status, 'testbed');
        send(res, reply.status, reply.headers, reply.body);
        return;
      }
    }
    let disk: Disk | undefined;
    if (request.service === 'ec2' && request.operation === 'RunInstances') {
      const launch = await hooks.launching(new URLSearchParams(buffered?.toString('utf8') ?? ''));
      if (launch.refusal) {
        const status = launch.refusal.status ?? 400;
        const reply = errorReply('ec2', launch.refusal.code, launch.refusal.message, status);
        done(status, 'testbed');
        send(res, reply.status, reply.headers, reply.body);
        return;
      }
      disk = launch.disk;
    }
    await forward(req, res, request, buffered, done, disk);
    // A role's inline policies changed in IAM (an administrator adding a statement, as the README asks for a borrowed
    // instance): the evaluation follows, as IAM's would.
    if (request.service === 'iam' && /^(Put|Delete)RolePolicy$/.test(request.operation) && res.statusCode < 300) {
      const form = new URLSearchParams(buffered?.toString('utf8') ?? '');
      deps.iam.evaluator.putInlinePolicy(
        form.get('RoleName') ?? '',
        form.get('PolicyName') ?? '',
        request.operation === 'PutRolePolicy' ? JSON.parse(form.get('PolicyDocument') ?? '{}') : undefined,
      );
    }
  }

  /**
   * Evaluates a request signed by an action role (iam-eval.ts), records the evaluation in the request log, and answers
   * a refusal worded as the service words it (refusals.ts). Returns whether it refused.
   */
  async function refusedByIam(
    req: http.IncomingMessage,
    url: URL,
    request: AwsRequest,
    body: Buffer | undefined,
    res: http.ServerResponse,
    done: Done,
  ): Promise<boolean> {
    const key = accessKeyOf(req.headers, url);
    const identity = deps.iam.evaluator.identityOf(key, sessions.sessionOf(key));
    if (!identity) return false;
    const region = regionOf(req, url);
    const text = body?.toString('utf8') ?? '';
    let json: Record<string, unknown> | undefined;
    if (request.protocol === 'json') {
      try {
        json = JSON.parse(text || '{}') as Record<string, unknown>;
      } catch {
        json = {};
      }
    }
    const checks = await checksFor(
      {
        service: request.service,
        operation: request.operation,
        method: req.method ?? 'GET',
        url,
        region,
        ...(request.protocol === 'ec2' || request.protocol === 'query'
          ? { form: new URLSearchParams(body ? text : url.search) }
          : {}),
        ...(json && { json }),
        ...(request.service === 's3' && body && { body: text }),
        headers: req.headers,
      },
      deps.iam.lookup,
    );
    const evaluation = await deps.iam.evaluator.evaluate(identity, checks);
    done.iam({ principal: evaluation.principal, allowed: evaluation.allowed, checks: evaluation.checks });
    const denied = evaluation.denied;
    if (!denied) return false;
    // EFS names no resource in its refusal ("on the specified resource"), nor EC2 for actions without resource types.
    // botocore's efs model has no AccessDeniedException shape: EFS answers the common error, HTTP 403 (as quoted in
    // rebuy-de/aws-nuke#264 and prowler-cloud/prowler#1017).
    const named = denied.resource !== '*' && request.service !== 'elasticfilesystem';
    const refusal = refusalReply(
      request,
      { action: denied.action, ...(named && { resource: denied.resource }) },
      evaluation.principal,
      region,
      url,
    );
    const reply = errorReply(request.protocol, refusal.code, refusal.message, refusal.status);
    done(reply.status, 'testbed');
    send(res, reply.status, reply.headers, reply.body);
    return true;
  }

  async function answerSsm(
    request: AwsRequest,
    body: Buffer | undefined,
    res: http.ServerResponse,
    done: (status: number, by: 'testbed') => void,
  ): Promise<void> {
    try {
      const input = JSON.parse(body?.toString('utf8') || '{}') as Record<string, unknown>;
      const output = await ssm.handle(request.operation, input);
      done(200, 'testbed');
      send(res, 200, { 'content-type': 'application/x-amz-json-1.1' }, JSON.stringify(output));
    } catch (error) {
      const e = error instanceof SsmError ? error : new SsmError('InternalServerError', String(error), 500);
      const reply = errorReply('json', e.code, e.message, e.status);
      done(reply.status, 'testbed');
      send(res, reply.status, reply.headers, reply.body);
    }
  }

  async function forward(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    request: AwsRequest,
    body: Buffer | undefined,
    done: (status: number, by: 'moto') => void,
    disk?: Disk,
  ): Promise<void> {
    const watchInstances =
      request.service === 'ec2' &&
      ['RunInstances', 'TerminateInstances', 'StopInstances', 'RebootInstances'].includes(request.operation);
    const latency = faults.settings.latency;
    const describing = request.service === 'ec2' && request.operation === 'DescribeInstances';
    // DescribeInstances is rewritten for a latency model (instances still booting) and for instances a launch fault
    // ended (their StateReason); otherwise it passes through as moto wrote it.
    const offerings = request.service === 'ec2' && request.operation === 'DescribeInstanceTypeOfferings';
    const rewrite =
      (describing && (latency !== undefined || faults.stateReasons.size > 0)) ||
      (offerings && faults.zones.withheld.size > 0);
    const assuming = request.service === 'sts' && request.operation.startsWith('AssumeRole');
    const s3 = latency && request.service === 's3' ? pipes(latency.s3TotalMiBps) : undefined;
    const etags =
      request.service === 's3'
        ? etagAnswer(request.operation, req.headers['x-amz-copy-source'] !== undefined)
        : undefined;
    const { bucket, key } = etags
      ? keyOfPath(new URL(req.url ?? '/', 'http://front').pathname)
      : { bucket: '', key: '' };
    await new Promise<void>((resolve) => {
      const upstream = http.request(
        { host: moto.hostname, port: moto.port, method: req.method, path: req.url, headers: req.headers },
        (up) => {
          done(up.statusCode ?? 502, 'moto');
          if (rewrite || assuming) {
            void readBody(up).then((answer) => {
              let text = answer.toString('utf8');
              if (assuming) text = sessions.issued(text, faults.settings.sessionSeconds);
              else if (offerings) text = withoutWithheld(text, faults.zones.withheld);
              else if (rewrite) {
                if (latency) text = pendingUntilBooted(text, latency);
                text = withStateReasons(text, faults.stateReasons);
              }
              res.writeHead(up.statusCode ?? 502, { ...up.headers, 'content-length': String(Buffer.byteLength(text)) });
              res.end(text);
              resolve();
            });
            return;
          }
          const encryption = up.headers['x-amz-server-side-encryption'] as string | undefined;
          if (etags === 'result' || etags === 'listing') {
            void readBody(up).then(async (answer) => {
              const xml = answer.toString('utf8');
              const text =
                etags === 'listing'
                  ? await kmsEtags.listing(
                      xml,
                      bucket,
                      new URL(req.url ?? '/', 'http://front').searchParams.get('encoding-type') === 'url',
                    )
                  : await kmsEtags.result(xml, encryption, bucket, key);
              const headers = { ...up.headers, 'content-length': String(Buffer.byteLength(text)) };
              delete headers['transfer-encoding'];
              res.writeHead(up.statusCode ?? 502, headers);
              res.end(text);
              resolve();
            });
            return;
          }
          if (etags === 'header' && up.headers.etag !== undefined)
            up.headers.etag = kmsEtags.header(up.headers.etag, encryption, bucket, key);
          if (!watchInstances) {
            res.writeHead(up.statusCode ?? 502, up.headers);
            (s3 && latency ? up.pipe(throttle(latency, s3.down)) : up).pipe(res);
            up.on('end', resolve);
            return;
          }
          void readBody(up).then(async (answer) => {
            // Noticed before the answer: an instance a launch fault ends is terminated by the time RunInstances answers.
            if ((up.statusCode ?? 500) < 300)
              await noticeInstances(request.operation, body, answer.toString('utf8'), disk).catch(() => undefined);
            res.writeHead(up.statusCode ?? 502, up.headers);
            res.end(answer);
            resolve();
          });
        },
      );
      upstream.on('error', (error) => {
        done(502, 'moto');
        if (!res.headersSent) send(res, 502, { 'content-type': 'text/plain' }, `moto did not answer: ${error.message}`);
        resolve();
      });
      if (body) upstream.end(body);
      else if (s3 && latency) req.pipe(throttle(latency, s3.up)).pipe(upstream);
      else req.pipe(upstream);
    });
  }

  async function noticeInstances(
    operation: string,
    body: Buffer | undefined,
    answer: string,
    disk?: Disk,
  ): Promise<void> {
    const form = new URLSearchParams(body?.toString('utf8') ?? '');
    if (operation === 'RunInstances') {
      const ids = [...answer.matchAll(/<instanceId>(i-[0-9a-f]+)<\/instanceId>/g)].map((m) => m[1] ?? '');
      const userData = form.get('UserData');
      await hooks.launched(ids, userData ? Buffer.from(userData, 'base64').toString('utf8') : undefined, disk);
    } else {
      const ids = [...form.entries()].filter(([k]) => /^InstanceId\.\d+$/.test(k)).map(([, v]) => v);
      if (operation === 'RebootInstances') hooks.rebooted(ids);
      else hooks.stopped(ids);
    }
  }

  return http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { 'content-type': 'text/plain' }, `test bed error: ${String(error)}`);
      else res.destroy();
    });
  });
}

/** The region of the request's credential scope. */
function regionOf(req: http.IncomingMessage, url: URL): string {
  const scope = /Credential=[^/,]+\/\d{8}\/([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1];
  return scope ?? url.searchParams.get('X-Amz-Credential')?.split('/')[2] ?? 'us-east-1';
}
