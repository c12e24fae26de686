// The control endpoint (controlUrl = <endpoint>/__testbed): faults, instance and command misbehaviour,
// settings, the request log, and the OIDC token service (GET <endpoint>/__testbed/oidc/token?api-version=2.0).
import type http from 'node:http';
import type { CommandFault, Faults } from './faults.ts';
import type { Instances } from './instances.ts';
import { KMS_KEY_UNUSABLE, type LaunchFault } from './launch-faults.ts';
import type { OidcIssuer } from './oidc.ts';
import { QUOTA_CLASSES } from './quotas.ts';
import type { RequestLog } from './request-log.ts';
import type { Sandboxes } from './sandbox.ts';
import type { RunCommand } from './ssm.ts';

export interface ControlDeps {
  faults: Faults;
  log: RequestLog;
  oidc: OidcIssuer;
  instances: Instances;
  sandboxes: Sandboxes;
  ssm: RunCommand;
  /**
   * A CloudFormation stack update: the stack is rendered again with these parameters changed, and its roles' policies
   * replaced (what the bed evaluates, and what moto's IAM holds).
   */
  updateStack(name: string, parameters: Record<string, string>): Promise<unknown>;
  /** Reboots an instance (reboot.ts): a reboot by a fault, as AWS's maintenance or the OS would do it. */
  reboot(id: string): Promise<void>;
  /** An administrator's PutRolePolicy, outside the request log: moto's IAM and the bed's evaluation both get it. */
  /** Puts a role's inline policy, or deletes it (no document), as an administrator would. */
  putRolePolicy(role: string, name: string, document: Record<string, unknown> | undefined): Promise<void>;
  /** Lambda functions (lambda-functions.ts): created from a definition, listed, made Inactive. */
  functions?: {
    create(body: Record<string, unknown>): Promise<[number, unknown]>;
    list(): unknown[];
    deactivate(name: string): boolean;
    configure(name: string, body: Record<string, unknown>): [number, unknown];
    dropNextInvoke(name: string, afterMs: number | undefined): boolean;
  };
}

type Handler = (
  match: RegExpExecArray,
  body: Record<string, unknown>,
  url: URL,
  req: http.IncomingMessage,
) => Promise<[number, unknown]> | [number, unknown];

export function createControl(deps: ControlDeps) {
  const { faults, log, oidc, instances, sandboxes, ssm } = deps;
  const routes: [string, RegExp, Handler][] = [
    [
      'GET',
      /^\/oidc\/token$/,
      (_m, _b, url, req) => {
        const { status, body } = oidc.issue(req.headers.authorization, url);
        return [status, body];
      },
    ],
    ['GET', /^\/health$/, () => [200, { ok: true }]],
    ['GET', /^\/log$/, (_m, _b, url) => [200, { entries: log.list(Number(url.searchParams.get('since') ?? 0)) }]],
    [
      'DELETE',
      /^\/log$/,
      () => {
        log.clear();
        return [200, {}];
      },
    ],
    [
      'GET',
      /^\/faults$/,
      () => [200, { rules: faults.list(), commands: faults.commandFaults, launches: faults.launchFaults }],
    ],
    [
      'POST',
      /^\/faults$/,
      (_m, body) => {
        if (typeof body.operation !== 'string') return [400, { message: 'operation is required' }];
        const rule = faults.addRule(body as unknown as Parameters<Faults['addRule']>[0]);
        return [200, rule];
      },
    ],
    [
      'DELETE',
      /^\/faults$/,
      () => {
        faults.clear();
        for (const fs of faults.unreachableFileSystems) sandboxes.setUnreachable(fs, false);
        return [200, {}];
      },
    ],
    [
      'POST',
      /^\/commands$/,
      (_m, body) => {
        if (!['hang', 'fail', 'terminate-instance', 'kill'].includes(String(body.action))) {
          return [400, { message: 'action must be hang, fail, kill or terminate-instance' }];
        }
        faults.commandFaults.push(body as unknown as CommandFault);
        return [200, {}];
      },
    ],
    [
      // The next launched instance never runs: pending → terminated with this StateReason (launch-faults.ts).
      'POST',
      /^\/launches$/,
      (_m, body) => {
        const { code, message } = { ...KMS_KEY_UNUSABLE, ...body };
        if (typeof code !== 'string' || typeof message !== 'string')
          return [400, { message: 'code and message must be strings' }];
        const fault: LaunchFault = { code, message };
        faults.launchFaults.push(fault);
        return [200, fault];
      },
    ],
    // Instance types and capacity per zone (zones.ts); cleared with the faults.
    [
      'POST',
      /^\/zones\/(withheld|no-capacity)$/,
      (m, body) => {
        if (typeof body.zone !== 'string') return [400, { message: 'zone is required' }];
        if (m[1] === 'no-capacity') faults.zones.noCapacity.add(body.zone);
        else if (typeof body.type === 'string') faults.zones.withheld.add(`${body.zone}/${body.type}`);
        else return [400, { message: 'type is required' }];
        return [200, {}];
      },
    ],
    // The account's On-Demand vCPU quota of a class (quotas.ts); back to AWS's defaults when the faults are cleared.
    [
      'POST',
      /^\/quotas\/vcpus$/,
      (_m, body) => {
        if (typeof body.class !== 'string' || !(body.class in QUOTA_CLASSES))
          return [400, { message: `class must be one of ${Object.keys(QUOTA_CLASSES).join(', ')}` }];
        if (typeof body.vcpus !== 'number' || body.vcpus < 0) return [400, { message: 'vcpus must be a number' }];
        faults.vcpuQuotas.set(body.class, body.vcpus);
        return [200, {}];
      },
    ],
    [
      'POST',
      /^\/instances\/(i-[0-9a-f]+)\/never-online$/,
      (m) => {
        faults.neverOnline.add(m[1] ?? '');
        return [200, {}];
      },
    ],
    [
      'DELETE',
      /^\/instances\/(i-[0-9a-f]+)\/never-online$/,
      (m) => {
        faults.neverOnline.delete(m[1] ?? '');
        return [200, {}];
      },
    ],
    // The instance is terminated when the next SendCommand names it (ssm.ts): it vanishes before the send.
    [
      'POST',
      /^\/instances\/(i-[0-9a-f]+)\/vanish-on-send$/,
      (m) => {
        faults.vanishOnSend.add(m[1] ?? '');
        return [200, {}];
      },
    ],
    // A reboot as a fault: answers once the instance is up again (reboot.ts).
    [
      'POST',
      /^\/instances\/(i-[0-9a-f]+)\/reboot$/,
      async (m) => {
        await deps.reboot(m[1] ?? '');
        return [200, {}];
      },
    ],
    // What RunInstances gave the instance: its root volume and the scratch space its scripts see (disk.ts).
    ['GET', /^\/instances\/(i-[0-9a-f]+)\/disk$/, (m) => [200, sandboxes.disk(m[1] ?? '') ?? {}]],
    [
      'POST',
      /^\/instances\/(i-[0-9a-f]+)\/terminate$/,
      async (m) => {
        await instances.terminate(m[1] ?? '');
        ssm.instanceGone(m[1] ?? '');
        return [200, {}];
      },
    ],
    [
      'POST',
      /^\/file-systems\/(fs-[0-9a-f]+)\/unreachable$/,
      (m) => {
        faults.unreachableFileSystems.add(m[1] ?? '');
        sandboxes.setUnreachable(m[1] ?? '', true);
        return [200, {}];
      },
    ],
    [
      'DELETE',
      /^\/file-systems\/(fs-[0-9a-f]+)\/unreachable$/,
      (m) => {
        faults.unreachableFileSystems.delete(m[1] ?? '');
        sandboxes.setUnreachable(m[1] ?? '', false);
        return [200, {}];
      },
    ],
    [
      'PUT',
      /^\/stacks\/([\w-]+)\/parameters$/,
      async (m, body) => {
        if (!Object.values(body).every((v) => typeof v === 'string'))
          return [400, { message: 'parameters must be strings' }];
        try {
          return [200, await deps.updateStack(m[1] ?? '', body as Record<string, string>)];
        } catch (error) {
          return [400, { message: String(error) }];
        }
      },
    ],
    [
      'PUT',
      /^\/roles\/([\w+=,.@-]+)\/policies\/([\w+=,.@-]+)$/,
      async (m, body) => {
        await deps.putRolePolicy(m[1] ?? '', m[2] ?? '', body);
        return [200, {}];
      },
    ],
    [
      'DELETE',
      /^\/roles\/([\w+=,.@-]+)\/policies\/([\w+=,.@-]+)$/,
      async (m) => {
        await deps.putRolePolicy(m[1] ?? '', m[2] ?? '', undefined);
        return [200, {}];
      },
    ],
    // A function from an AWS::Lambda::Function definition as CloudFormation renders it ({"Properties": {…}}, with
    // "LogicalId" and "StackName" for a generated name), as the seed makes one for each in a rendered stack.
    [
      'POST',
      /^\/functions$/,
      async (_m, body) => (await deps.functions?.create(body)) ?? [404, { message: 'no functions' }],
    ],
    ['GET', /^\/functions$/, () => [200, { functions: deps.functions?.list() ?? [] }]],
    [
      'POST',
      /^\/functions\/([\w-]+)\/inactive$/,
      (m) => (deps.functions?.deactivate(m[1] ?? '') ? [200, {}] : [404, { message: `no function ${m[1]}` }]),
    ],
    // An administrator's UpdateFunctionConfiguration ({"Timeout"}, {"MemorySize"}), outside the request log.
    [
      'PUT',
      /^\/functions\/([\w-]+)\/configuration$/,
      (m, body) => deps.functions?.configure(m[1] ?? '', body) ?? [404, { message: 'no functions' }],
    ],
    // The next synchronous Invoke of the function loses its caller's connection, {"afterMs"} after it began or once
    // the function has answered; the invocation runs on (faults.ts, droppedInvokes). Cleared with the faults.
    [
      'POST',
      /^\/functions\/([\w-]+)\/dropped-connection$/,
      (m, body) => {
        if (body.afterMs !== undefined && typeof body.afterMs !== 'number')
          return [400, { message: 'afterMs must be a number' }];
        const afterMs = body.afterMs as number | undefined;
        return deps.functions?.dropNextInvoke(m[1] ?? '', afterMs)
          ? [200, {}]
          : [404, { message: `no function ${m[1]}` }];
      },
    ],
    ['GET', /^\/settings$/, () => [200, faults.settings]],
    [
      'PUT',
      /^\/settings$/,
      (_m, body) => {
        Object.assign(faults.settings, body);
        return [200, faults.settings];
      },
    ],
  ];

  return async (req: http.IncomingMessage, res: http.ServerResponse, url: URL, raw: Buffer): Promise<void> => {
    const path = url.pathname.slice('/__testbed'.length);
    let status = 404;
    let answer: unknown = { message: `no such control route: ${req.method} ${path}` };
    for (const [method, pattern, handler] of routes) {
      const match = pattern.exec(path);
      if (!match || method !== req.method) continue;
      let body: Record<string, unknown> = {};
      try {
        body = raw.length ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : {};
      } catch {
        [status, answer] = [400, { message: 'body is not JSON' }];
        break;
      }
      [status, answer] = await handler(match, body, url, req);
      break;
    }
    const text = JSON.stringify(answer);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
    res.end(text);
  };
}
