// Puts the test bed together: moto, the front on its own port, the seeded account, and the instance lifecycle
// (user data at launch, shutdown requests, terminated instances).
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { roleGrantsAgent } from './agent-role.ts';
import { createControl } from './control.ts';
import { diskOf, launchRefusal, ROOT_FREE_BYTES } from './disk.ts';
import { EfsNetwork } from './efs-network.ts';
import { Faults, type Settings } from './faults.ts';
import { createFront } from './front.ts';
import { IamEvaluator } from './iam-eval.ts';
import { motoLookup } from './iam-lookup.ts';
import { Imds } from './imds.ts';
import { Instances } from './instances.ts';
import { startLambda } from './lambda-bed.ts';
import { freePort, startMoto } from './moto.ts';
import { OidcIssuer } from './oidc.ts';
import { reboot } from './reboot.ts';
import { RequestLog } from './request-log.ts';
import { Sandboxes } from './sandbox.ts';
import { putRolePolicies, putRolePolicy, type Seeded, type SeededStack, seed } from './seed.ts';
import { Sessions } from './sessions.ts';
import { RunCommand } from './ssm.ts';
import { type RenderedStack, updateStack } from './stacks.ts';

export interface TestbedInfo extends Omit<Seeded, 'stacks'> {
  /** Every stack by name, each with the OIDC request token of its repository's jobs. */
  stacks: Record<string, SeededStack & { oidcToken: string }>;
  endpoint: string;
  region: string;
  oidcUrl: string;
  oidcToken: string;
  stateDir: string;
  controlUrl: string;
  motoEndpoint: string;
}

export interface TestbedOptions {
  stateDir: string;
  region?: string;
  port?: number;
  settings?: Partial<Settings>;
}

export const DEFAULT_SETTINGS: Settings = {
  onlineDelayMs: 2000,
  invocationDelayMs: 500,
  deliveryDelayMs: 200,
  // AWS's behaviour: GetCommandInvocation's StandardOutputContent is "The first 24,000 characters written by the
  // plugin to stdout. If the command hasn't finished running, if ExecutionStatus is neither Succeeded nor Failed,
  // then this string is empty" (botocore's ssm service-2.json, GetCommandInvocationResult). A test that wants to
  // see output early turns partialOutput on itself.
  partialOutput: false,
  cancellingMs: 1000,
  // A deliberate scaling (disk.ts): the image's headroom is 32 MiB, each GiB asked beyond the image a real GiB.
  rootFreeBytes: ROOT_FREE_BYTES,
  // AWS checks every request against its service model (conformance.ts); off only for a test that wants moto's answer.
  conformance: true,
  // AWS evaluates every request against the caller's policies (iam-eval.ts); off only for a test that wants to go past
  // a refusal.
  iam: true,
  // Lambda (faults.ts has the sources): Pending a short while, never zero; Inactive after 14 idle days; an idle
  // execution environment kept warm for five minutes.
  functionPendingMs: 1000,
  functionIdleMs: 14 * 24 * 3600 * 1000,
  functionWarmMs: 5 * 60 * 1000,
};

export async function startTestbed(options: TestbedOptions): Promise<{ info: TestbedInfo; stop: () => Promise<void> }> {
  const region = options.region ?? 'us-east-1';
  const stateDir = path.resolve(options.stateDir);
  fs.mkdirSync(stateDir, { recursive: true });
  const moto = await startMoto(path.join(stateDir, 'moto.log'));
  try {
    const faults = new Faults({ ...DEFAULT_SETTINGS, ...options.settings });
    const log = new RequestLog();
    const oidc = new OidcIssuer();
    const instances = new Instances(moto.endpoint, region, faults);
    const sandboxes = new Sandboxes(stateDir, region);
    const network = new EfsNetwork(moto.endpoint, region);
    // Each instance's metadata service (imds.ts), named to its scripts before they run.
    const imds = new Imds((id) => instances.metadata(id));
    const withImds = async (id: string) => sandboxes.setImdsEndpoint(id, await imds.endpoint(id));
    const ssm = new RunCommand(instances, sandboxes, faults, async (id) => {
      await Promise.all([network.prepare(sandboxes, id), withImds(id)]);
    });
    const running = new Set<string>();
    const rebootDeps = { faults, sandboxes, ssm, isRunning: (id: string) => running.has(id) };
    const evaluator = new IamEvaluator();
    const rendered = new Map<string, RenderedStack>();
    const lookup = motoLookup(moto.endpoint, region);
    instances.agentPermitted = (profileArn) => roleGrantsAgent(evaluator, lookup, profileArn);

    const sessions = new Sessions();
    let endpoint = '';
    const lambda = startLambda({
      motoEndpoint: moto.endpoint,
      region,
      stateDir,
      efsRoot: sandboxes.efsRoot,
      faults,
      sessions,
      evaluator,
      endpoint: () => endpoint,
    });
    const front: http.Server = createFront({
      motoEndpoint: moto.endpoint,
      faults,
      log,
      ssm,
      oidc,
      sessions,
      iam: { evaluator, lookup },
      lambda: lambda.api,
      hooks: {
        control: createControl({
          faults,
          log,
          oidc,
          instances,
          sandboxes,
          ssm,
          functions: lambda.control,
          updateStack: async (name, parameters) => {
            const before = rendered.get(name);
            if (!before) throw new Error(`no stack ${name}`);
            const after = updateStack(before, region, parameters);
            rendered.set(name, after);
            evaluator.addStack(after);
            await putRolePolicies(moto.endpoint, region, after);
            return { stackName: name, parameters };
          },
          reboot: (id) => reboot(id, rebootDeps),
          putRolePolicy: async (role, name, document) => {
            await putRolePolicy(moto.endpoint, region, role, name, document);
            evaluator.putInlinePolicy(role, name, document as never);
          },
        }),
        async launching(form) {
          const image = await instances.imageRoot(form.get('ImageId') ?? '');
          if (!image) return {}; // moto answers an unknown image itself
          const inZone = await instances.zoneRefusal(form);
          if (inZone) return { refusal: inZone };
          const refusal = launchRefusal(form, image);
          if (refusal) return { refusal };
          // RunInstances' InstanceType, "Default: m1.small" (EC2 API reference, RunInstances).
          const memory = await instances.memoryMiB(form.get('InstanceType') ?? 'm1.small');
          return { disk: diskOf(form, image, faults.settings.rootFreeBytes, memory) };
        },
        async launched(ids, userData, disk) {
          // A launch fault ends the instance before RunInstances answers: no caller ever sees it running, and it
          // never boots (no user data, never Online).
          const fault = faults.launchFaults.shift();
          const ended = fault ? ids[0] : undefined;
          if (fault && ended) {
            faults.stateReasons.set(ended, fault);
            await instances.terminate(ended);
            ssm.instanceGone(ended);
          }
          for (const id of ids) {
            if (id === ended) continue;
            running.add(id);
            if (disk) sandboxes.setDisk(id, disk);
            // cloud-init runs a user data script once, as root, at first boot; without a network when the subnet has
            // no route to S3 (routes.ts).
            if (userData?.startsWith('#!')) {
              void Promise.all([instances.reachesS3(id), instances.reachesRepos(id), withImds(id)]).then(
                ([network, repos]) => {
                  const proc = sandboxes.run(id, 'var/lib/cloud/instance/scripts/part-001', userData, undefined, {
                    network,
                    repos,
                  });
                  const out = fs.createWriteStream(path.join(sandboxes.dir(id), 'cloud-init-output.log'));
                  proc.child.stdout?.pipe(out);
                  proc.child.stderr?.pipe(out);
                },
              );
            }
          }
        },
        stopped(ids) {
          for (const id of ids) {
            running.delete(id);
            ssm.instanceGone(id);
          }
        },
        rebooted(ids) {
          for (const id of ids) {
            // moto's reboot sets any instance running, a terminated one too; EC2 ignores a reboot of a terminated
            // instance (RebootInstances, botocore's ec2 service-2.json): it is put back as it was.
            if (!running.has(id)) void instances.terminate(id).catch(() => {});
            else void reboot(id, rebootDeps);
          }
        },
      },
    });
    // An instance that asked for a shutdown is terminated when it is due (InstanceInitiatedShutdownBehavior=terminate).
    const ticker = setInterval(() => {
      for (const id of running) {
        const due = sandboxes.shutdownDue(id);
        if (due !== undefined && due <= Date.now()) {
          running.delete(id);
          void instances.terminate(id).then(
            () => ssm.instanceGone(id),
            () => {},
          );
        }
      }
    }, 1000);
    ticker.unref();

    const port = options.port ?? (await freePort());
    await new Promise<void>((resolve, reject) => {
      front.once('error', reject);
      front.listen(port, '127.0.0.1', resolve);
    });
    endpoint = `http://127.0.0.1:${port}`;
    const { stacks, ...seeded } = await seed(moto.endpoint, region, {
      rendered: (stack) => {
        rendered.set(stack.stackName, stack);
        evaluator.addStack(stack);
      },
    });
    await network.sync(sandboxes);
    // CloudFormation creates each stack's functions with it.
    for (const stack of rendered.values())
      for (const { logicalId, properties } of stack.functions) {
        const [status, answer] = await lambda.control.create({
          Properties: properties,
          LogicalId: logicalId,
          StackName: stack.stackName,
        });
        if (status !== 200) throw new Error(`${stack.stackName}/${logicalId}: ${JSON.stringify(answer)}`);
      }
    const info: TestbedInfo = {
      endpoint,
      region,
      oidcUrl: `${endpoint}/__testbed/oidc/token?api-version=2.0`,
      oidcToken: oidc.requestToken,
      ...seeded,
      stacks: Object.fromEntries(
        Object.entries(stacks).map(([name, stack]) => [
          name,
          { ...stack, oidcToken: oidc.requestTokenFor(stack.repository) },
        ]),
      ),
      stateDir,
      controlUrl: `${endpoint}/__testbed`,
      motoEndpoint: moto.endpoint,
    };
    const stop = async () => {
      clearInterval(ticker);
      lambda.stop();
      ssm.stopAll();
      sandboxes.release();
      imds.close();
      front.closeAllConnections();
      await new Promise<void>((resolve) => front.close(() => resolve()));
      network.destroy();
      lookup.destroy();
      await moto.stop();
    };
    return { info, stop };
  } catch (error) {
    await moto.stop();
    throw error;
  }
}
