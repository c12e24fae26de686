// SSM Run Command as AWS behaves (aws-mechanics.md 1.1-1.5): AWS-RunShellScript really runs, in the instance's
// sandbox; statuses, the InvocationDoesNotExist window, output caps, execution timeouts and cancellation.
import { randomUUID } from 'node:crypto';
import type { Faults } from './faults.ts';
import type { Instances } from './instances.ts';
import { pageOf } from './paging.ts';
import type { Sandboxes, SandboxProcess } from './sandbox.ts';

const STDOUT_CAP = 24_000;
const STDERR_CAP = 8_000;
const PLUGIN = 'aws:runShellScript';

type Status = 'Pending' | 'InProgress' | 'Success' | 'Failed' | 'TimedOut' | 'Cancelled' | 'Cancelling';

interface Invocation {
  commandId: string;
  instanceId: string;
  status: Status;
  statusDetails: string;
  responseCode: number;
  stdout: string;
  stderr: string;
  requestedAt: Date;
  visibleAt: number;
  startedAt?: Date;
  endedAt?: Date;
  process?: SandboxProcess | undefined;
  timer?: NodeJS.Timeout;
  /** The instance went away mid-command: no result will ever come back. */
  lost?: boolean;
}

interface Command {
  commandId: string;
  documentName: string;
  comment: string;
  parameters: Record<string, string[]>;
  instanceIds: string[];
  requestedAt: Date;
  timeoutSeconds: number;
  invocations: Invocation[];
}

export class SsmError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, message: string, status = 400) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

const TERMINAL = new Set<Status>(['Success', 'Failed', 'TimedOut', 'Cancelled']);
// GetCommandInvocationResult.StandardOutputContent (botocore's ssm service-2.json): "If the command hasn't finished
// running, if ExecutionStatus is neither Succeeded nor Failed, then this string is empty". So a command that timed
// out or was cancelled shows no output either; only the partialOutput switch shows more.
const WITH_OUTPUT = new Set<Status>(['Success', 'Failed']);
const epoch = (date: Date | undefined) => (date ? date.getTime() / 1000 : undefined);

export class RunCommand {
  private readonly commands = new Map<string, Command>();
  private readonly instances: Instances;
  private readonly sandboxes: Sandboxes;
  private readonly faults: Faults;
  private readonly beforeRun: (instanceId: string) => Promise<void>;

  constructor(
    instances: Instances,
    sandboxes: Sandboxes,
    faults: Faults,
    beforeRun: (instanceId: string) => Promise<void>,
  ) {
    this.instances = instances;
    this.sandboxes = sandboxes;
    this.faults = faults;
    this.beforeRun = beforeRun;
  }

  async handle(operation: string, input: Record<string, unknown>): Promise<unknown> {
    switch (operation) {
      case 'SendCommand':
        return this.send(input);
      case 'GetCommandInvocation':
        return this.getInvocation(input);
      case 'ListCommandInvocations':
        return this.listInvocations(input);
      case 'ListCommands':
        return this.listCommands(input);
      case 'CancelCommand':
        return this.cancel(input);
      case 'DescribeInstanceInformation':
        return this.describeInstanceInformation(input);
      default:
        throw new SsmError('InvalidAction', `The test bed does not answer ${operation}`);
    }
  }

  /** Stops every running script, for shutdown of the test bed. */
  stopAll(): void {
    for (const command of this.commands.values()) for (const inv of command.invocations) inv.process?.kill();
  }

  /** Kills the scripts of an instance that is gone; SSM then never hears back from it. */
  instanceGone(instanceId: string): void {
    for (const command of this.commands.values()) {
      for (const inv of command.invocations) {
        if (inv.instanceId === instanceId && !TERMINAL.has(inv.status)) {
          inv.lost = true;
          inv.process?.kill();
          inv.process = undefined;
        }
      }
    }
  }

  private async send(input: Record<string, unknown>): Promise<unknown> {
    const documentName = String(input.DocumentName ?? '');
    if (documentName !== 'AWS-RunShellScript') {
      throw new SsmError('InvalidDocument', `Document ${documentName} does not exist in the test bed.`);
    }
    const parameters = (input.Parameters ?? {}) as Record<string, string[]>;
    const commands = parameters.commands;
    if (!Array.isArray(commands) || commands.length === 0) {
      throw new SsmError('InvalidParameters', 'Parameter "commands" is required and needs at least one item.');
    }
    const executionTimeout = Number(parameters.executionTimeout?.[0] ?? '3600');
    if (!Number.isInteger(executionTimeout) || executionTimeout < 1 || executionTimeout > 172800) {
      throw new SsmError('InvalidParameters', 'Parameter "executionTimeout" must be 1 to 172800 seconds.');
    }
    const size = JSON.stringify(parameters).length;
    if (size > 64 * 1024) throw new SsmError('MaxDocumentSizeExceeded', 'The size limit of a document is 64 KB.');
    const instanceIds = (input.InstanceIds ?? []) as string[];
    if (instanceIds.length === 0 || instanceIds.length > 50) {
      throw new SsmError('InvalidInstanceId', 'Specify 1 to 50 instance ids.');
    }
    // An instance terminated just before the command arrives: SSM answers InvalidInstanceId, "The instance is not
    // in a valid state ... the instance isn't running" (SendCommand, Errors, SSM API reference,
    // https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_SendCommand.html).
    for (const id of instanceIds.filter((i) => this.faults.vanishOnSend.has(i))) {
      this.faults.vanishOnSend.delete(id);
      await this.instances.terminate(id);
      this.instanceGone(id);
    }
    const known = await this.instances.byId(instanceIds);
    const notOnline = instanceIds.filter((id) => !known.get(id)?.online);
    if (notOnline.length > 0) {
      throw new SsmError(
        'InvalidInstanceId',
        `Instances [[${notOnline.join(', ')}]] not in a valid state for account 123456789012`,
      );
    }
    const now = new Date();
    const command: Command = {
      commandId: randomUUID(),
      documentName,
      comment: String(input.Comment ?? ''),
      parameters,
      instanceIds,
      requestedAt: now,
      timeoutSeconds: Number(input.TimeoutSeconds ?? 3600),
      invocations: [],
    };
    for (const instanceId of instanceIds) {
      const inv: Invocation = {
        commandId: command.commandId,
        instanceId,
        status: 'Pending',
        statusDetails: 'Pending',
        responseCode: -1,
        stdout: '',
        stderr: '',
        requestedAt: now,
        visibleAt: Date.now() + this.faults.settings.invocationDelayMs,
      };
      command.invocations.push(inv);
      setTimeout(() => void this.start(command, inv, executionTimeout), this.faults.settings.deliveryDelayMs).unref();
    }
    this.commands.set(command.commandId, command);
    return { Command: this.commandView(command) };
  }

  private async start(command: Command, inv: Invocation, executionTimeout: number): Promise<void> {
    if (inv.status !== 'Pending') return;
    await this.beforeRun(inv.instanceId);
    // Without a route to S3 (routes.ts), the script runs without a network.
    const network = await this.instances.reachesS3(inv.instanceId);
    // dnf reaches Amazon Linux's repositories only through a gateway endpoint or the default route (routes.ts).
    const repos = await this.instances.reachesRepos(inv.instanceId);
    // A command cancelled (or its instance gone) while the agent was picking it up never runs: Cancelled, "The
    // command was terminated before it was completed", is "a terminal state", and Pending means "The command hasn't
    // been sent to the managed node" (botocore's ssm service-2.json, CommandInvocation.StatusDetails).
    if ((inv.status as Status) !== 'Pending') return;
    const script = `${(command.parameters.commands ?? []).join('\n')}\n`;
    const fault = this.faults.takeCommandFault(script);
    const body =
      fault?.action === 'hang'
        ? 'while :; do sleep 1; done\n'
        : fault?.action === 'fail'
          ? `${fault.stdout === undefined ? '' : `printf '%s\\n' ${shellQuote(fault.stdout)}\n`}echo ${shellQuote(fault.stderr ?? 'failed by the test bed')} >&2\nexit ${fault.exitCode ?? 1}\n`
          : script;
    const scriptPath = `var/lib/amazon/ssm/${inv.instanceId}/document/orchestration/${command.commandId}/awsrunShellScript/0.awsrunShellScript/_script.sh`;
    inv.status = 'InProgress';
    inv.statusDetails = 'InProgress';
    inv.startedAt = new Date();
    const proc = this.sandboxes.run(
      inv.instanceId,
      scriptPath,
      body,
      command.parameters.workingDirectory?.[0] || undefined,
      { network, repos },
    );
    inv.process = proc;
    let seen = '';
    proc.child.stdout?.on('data', (chunk: Buffer) => {
      if (inv.stdout.length < STDOUT_CAP) inv.stdout = (inv.stdout + chunk.toString('utf8')).slice(0, STDOUT_CAP);
      seen = (seen + chunk.toString('utf8')).slice(-4096);
      if (fault?.action === 'terminate-instance' && fault.when && seen.includes(fault.when) && inv.process === proc) {
        void this.instances.terminate(inv.instanceId).then(() => this.instanceGone(inv.instanceId));
      }
      if (fault?.action === 'kill' && fault.when && seen.includes(fault.when) && inv.process === proc) {
        // kill -9 of the script: bash reports 128 + 9, as the agent would see it.
        proc.kill();
        this.finish(inv, 'Failed', 'Failed', 137);
      }
    });
    proc.child.stderr?.on('data', (chunk: Buffer) => {
      if (inv.stderr.length < STDERR_CAP) inv.stderr = (inv.stderr + chunk.toString('utf8')).slice(0, STDERR_CAP);
    });
    const cap = this.faults.settings.executionTimeoutCapSeconds;
    const timeoutSeconds = cap ? Math.min(cap, executionTimeout) : executionTimeout;
    inv.timer = setTimeout(() => {
      // The agent kills the script's process tree at executionTimeout; an instance that is gone never answers, and
      // SSM gives up on it at the same deadline.
      if (TERMINAL.has(inv.status)) return;
      inv.process?.kill();
      this.finish(inv, 'TimedOut', inv.lost ? 'DeliveryTimedOut' : 'ExecutionTimedOut', -1);
    }, timeoutSeconds * 1000);
    inv.timer.unref();
    if (fault?.action === 'terminate-instance' && fault.when === undefined) {
      setTimeout(
        () => void this.instances.terminate(inv.instanceId).then(() => this.instanceGone(inv.instanceId)),
        fault.afterMs ?? 0,
      ).unref();
    }
    const { code, signal } = await proc.done;
    // Cancelled (or being cancelled), timed out, or the instance is gone.
    if (inv.process !== proc || TERMINAL.has(inv.status) || (inv.status as Status) === 'Cancelling') return;
    inv.process = undefined;
    if (signal) return; // killed from outside: the agent is gone with the instance, so no result ever arrives
    const exitCode = code ?? -1;
    this.finish(inv, exitCode === 0 ? 'Success' : 'Failed', exitCode === 0 ? 'Success' : 'Failed', exitCode);
  }

  private finish(inv: Invocation, status: Status, details: string, responseCode: number): void {
    inv.status = status;
    inv.statusDetails = details;
    inv.responseCode = responseCode;
    inv.endedAt = new Date();
    if (inv.timer) clearTimeout(inv.timer);
  }

  private visible(commandId: unknown, instanceId: unknown): Invocation | undefined {
    const inv = this.commands.get(String(commandId))?.invocations.find((i) => i.instanceId === instanceId);
    return inv && Date.now() >= inv.visibleAt ? inv : undefined;
  }

  private getInvocation(input: Record<string, unknown>): unknown {
    const inv = this.visible(input.CommandId, input.InstanceId);
    if (!inv)
      throw new SsmError(
        'InvocationDoesNotExist',
        "The command ID and managed node ID you specified didn't match any invocations.",
      );
    const command = this.commands.get(inv.commandId);
    const showOutput = WITH_OUTPUT.has(inv.status) || this.faults.settings.partialOutput;
    return {
      CommandId: inv.commandId,
      InstanceId: inv.instanceId,
      Comment: command?.comment ?? '',
      DocumentName: command?.documentName,
      PluginName: PLUGIN,
      ResponseCode: inv.responseCode,
      ExecutionStartDateTime: inv.startedAt?.toISOString() ?? '',
      ExecutionElapsedTime: inv.startedAt
        ? `PT${(((inv.endedAt ?? new Date()).getTime() - inv.startedAt.getTime()) / 1000).toFixed(3)}S`
        : '',
      ExecutionEndDateTime: inv.endedAt?.toISOString() ?? '',
      Status: inv.status,
      StatusDetails: inv.statusDetails,
      StandardOutputContent: showOutput ? inv.stdout : '',
      StandardOutputUrl: '',
      StandardErrorContent: showOutput ? inv.stderr : '',
      StandardErrorUrl: '',
      CloudWatchOutputConfig: { CloudWatchLogGroupName: '', CloudWatchOutputEnabled: false },
    };
  }

  private listInvocations(input: Record<string, unknown>): unknown {
    const invocations = [...this.commands.values()]
      .filter((c) => input.CommandId === undefined || c.commandId === input.CommandId)
      .flatMap((c) => c.invocations.map((inv) => ({ c, inv })))
      .filter(
        ({ inv }) =>
          Date.now() >= inv.visibleAt && (input.InstanceId === undefined || inv.instanceId === input.InstanceId),
      )
      .map(({ c, inv }) => ({
        CommandId: inv.commandId,
        InstanceId: inv.instanceId,
        Comment: c.comment,
        DocumentName: c.documentName,
        RequestedDateTime: epoch(inv.requestedAt),
        Status: inv.status,
        StatusDetails: inv.statusDetails,
        ...(input.Details === true && {
          CommandPlugins: [
            {
              Name: PLUGIN,
              Status: inv.status,
              StatusDetails: inv.statusDetails,
              ResponseCode: inv.responseCode,
              ResponseStartDateTime: epoch(inv.startedAt),
              ResponseFinishDateTime: epoch(inv.endedAt),
              Output: WITH_OUTPUT.has(inv.status) ? inv.stdout.slice(0, 2500) : '',
            },
          ],
        }),
      }));
    const page = pageOf('ListCommandInvocations', invocations, input, this.faults.settings.pageSizes);
    return { CommandInvocations: page.items, ...(page.NextToken && { NextToken: page.NextToken }) };
  }

  private listCommands(input: Record<string, unknown>): unknown {
    const commands = [...this.commands.values()].filter(
      (c) =>
        (input.CommandId === undefined || c.commandId === input.CommandId) &&
        (input.InstanceId === undefined || c.instanceIds.includes(String(input.InstanceId))),
    );
    if (input.CommandId !== undefined && commands.length === 0)
      throw new SsmError('InvalidCommandId', 'Invalid command id.');
    const page = pageOf(
      'ListCommands',
      commands.map((c) => this.commandView(c)),
      input,
      this.faults.settings.pageSizes,
    );
    return { Commands: page.items, ...(page.NextToken && { NextToken: page.NextToken }) };
  }

  private commandView(c: Command): Record<string, unknown> {
    const statuses = c.invocations.map((i) => i.status);
    const done = statuses.filter((s) => TERMINAL.has(s)).length;
    const status: Status = statuses.every((s) => s === 'Success')
      ? 'Success'
      : done < statuses.length
        ? statuses.some((s) => s !== 'Pending')
          ? 'InProgress'
          : 'Pending'
        : (statuses.find((s) => s !== 'Success') ?? 'Failed');
    return {
      CommandId: c.commandId,
      DocumentName: c.documentName,
      Comment: c.comment,
      Parameters: c.parameters,
      InstanceIds: c.instanceIds,
      RequestedDateTime: epoch(c.requestedAt),
      ExpiresAfter: epoch(new Date(c.requestedAt.getTime() + c.timeoutSeconds * 1000)),
      Status: status,
      StatusDetails: status,
      TimeoutSeconds: c.timeoutSeconds,
      TargetCount: c.invocations.length,
      CompletedCount: done,
      ErrorCount: statuses.filter((s) => s === 'Failed').length,
      DeliveryTimedOutCount: 0,
    };
  }

  private cancel(input: Record<string, unknown>): unknown {
    const command = this.commands.get(String(input.CommandId));
    if (!command) throw new SsmError('InvalidCommandId', 'Invalid command id.');
    const only = input.InstanceIds as string[] | undefined;
    for (const inv of command.invocations) {
      if (TERMINAL.has(inv.status) || (only?.length && !only.includes(inv.instanceId))) continue;
      inv.process?.kill();
      // Cancelling comes first and is not terminal: CommandInvocationStatus (botocore's ssm service-2.json) lists
      // it beside the running statuses, and CancelCommand only "Attempts to cancel the command ... There is no
      // guarantee that the command will be terminated" (SSM API reference). AWS gives no duration; a non-zero one
      // (cancellingMs) makes a client that takes Cancelling for the end fail here as it would on AWS.
      inv.status = 'Cancelling';
      inv.statusDetails = 'Cancelling';
      setTimeout(() => {
        if (inv.status === 'Cancelling') this.finish(inv, 'Cancelled', 'Cancelled', -1);
      }, this.faults.settings.cancellingMs).unref();
    }
    return {};
  }

  private async describeInstanceInformation(input: Record<string, unknown>): Promise<unknown> {
    const filters = [
      ...((input.InstanceInformationFilterList ?? []) as { key: string; valueSet: string[] }[]).map((f) => ({
        Key: f.key,
        Values: f.valueSet,
      })),
      ...((input.Filters ?? []) as { Key: string; Values: string[] }[]),
    ];
    const ids = filters.find((f) => f.Key === 'InstanceIds')?.Values;
    const ping = filters.find((f) => f.Key === 'PingStatus')?.Values;
    // In EC2's order of the instances, whatever the order of the filter's values: a page is a page of the same list.
    const wanted = ids && new Set(ids);
    const views = (await this.instances.list()).filter((v) => !wanted || wanted.has(v.id));
    const list = views
      .filter((v) => (v.online || v.connectionLost) && (!ping || ping.includes(v.online ? 'Online' : 'ConnectionLost')))
      .map((v) => ({
        InstanceId: v.id,
        // An instance down for a reboot sends no heartbeat (reboot.ts).
        PingStatus: v.online ? 'Online' : 'ConnectionLost',
        LastPingDateTime: Date.now() / 1000,
        AgentVersion: '3.3.1142.0',
        IsLatestVersion: true,
        PlatformType: 'Linux',
        PlatformName: 'Amazon Linux',
        PlatformVersion: '2023',
        ResourceType: 'EC2Instance',
        IPAddress: v.privateIp,
        ComputerName: `ip-${v.privateIp.replace(/\./g, '-')}.ec2.internal`,
        AssociationStatus: 'Success',
      }));
    const page = pageOf('DescribeInstanceInformation', list, input, this.faults.settings.pageSizes);
    return { InstanceInformationList: page.items, ...(page.NextToken && { NextToken: page.NextToken }) };
  }
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
