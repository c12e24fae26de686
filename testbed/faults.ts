// The test bed's knobs: AWS call faults, latency, and how instances and commands misbehave. Set through the
// control endpoint; read by the front on every request.

import type { LatencyModel } from './latency.ts';
import type { LaunchFault } from './launch-faults.ts';
import { DEFAULT_VCPU_QUOTAS } from './quotas.ts';
import type { ZoneRules } from './zones.ts';

export interface FaultRule {
  id: number;
  /** Service from the credential scope (ec2, ssm, s3, …); any when absent. */
  service?: string;
  operation: string;
  /** Fail from the nth matching call on (1 = the next one); count calls since the rule was set. */
  nth: number;
  /** How many calls fail, from the nth on. */
  times: number;
  /** An AWS error code, e.g. ThrottlingException; with no code, a bare HTTP status. */
  code?: string;
  status?: number;
  message?: string;
  /**
   * For a refusal code without a message: the IAM action refused (another than the operation's own, e.g. iam:PassRole
   * for RunInstances), its resource, and for EC2 whether an encoded authorization message comes with it (refusals.ts).
   */
  action?: string;
  resource?: string;
  encoded?: boolean;
  /** Close the connection without an answer, as a reset would. */
  reset?: boolean;
  /** Delay before answering (or failing), in ms. */
  latencyMs?: number;
  /** Only requests whose path contains this text, e.g. an S3 key. */
  pathContains?: string;
  seen: number;
}

export type CommandAction = 'hang' | 'fail' | 'terminate-instance' | 'kill';

export interface CommandFault {
  action: CommandAction;
  /** Only a command whose script contains this text. */
  match?: string;
  /**
   * For 'fail': instead of the script, the command prints `stdout` (when given) and `stderr`, and exits with the exit
   * code: a command whose text was replaced, for instance one that forges the agent's result line.
   */
  exitCode?: number;
  stderr?: string;
  stdout?: string;
  /** For 'terminate-instance': how long after the command starts. */
  afterMs?: number;
  /**
   * For 'kill': SIGKILL the script's process tree once its output contains this text (as kill -9 would); for
   * 'terminate-instance': terminate the instance then.
   */
  when?: string;
}

export interface Settings {
  /** A running instance is Online this long after its launch time. */
  onlineDelayMs: number;
  /** GetCommandInvocation answers InvocationDoesNotExist this long after SendCommand. */
  invocationDelayMs: number;
  /** Pending → InProgress after this long. */
  deliveryDelayMs: number;
  /** How long a cancelled invocation stays Cancelling before it is Cancelled (AWS documents no duration). */
  cancellingMs: number;
  /** Show the output so far while a command is InProgress: a convenience AWS does not offer (off by default). */
  partialOutput: boolean;
  /** Real AWS's waits and throughput (`--latency aws`, see latency.ts); none by default. */
  latency?: LatencyModel;
  /**
   * The account's On-Demand vCPU quotas per class, where it has raised them (quotas.ts); AWS's defaults elsewhere.
   * Kept across resets, as an account's quotas are.
   */
  vcpuQuotas?: Record<string, number>;
  /** A fast clock for executionTimeout: commands time out after at most this many seconds (0: no cap). */
  executionTimeoutCapSeconds?: number;
  /**
   * The free space an image's own root volume leaves, scaled down so that tests can exceed it (disk.ts): an instance's
   * scratch space is this, plus every GiB its RunInstances asked beyond the image's snapshot size. Read at launch.
   */
  rootFreeBytes: number;
  /**
   * Role sessions last this many seconds, whatever DurationSeconds asked (sessions.ts): a deliberate scaling of time
   * so that a test outlives a session; AWS's shortest is 900 s. Absent: as asked, as on AWS.
   */
  sessionSeconds?: number;
  /** Check every AWS request against its botocore service model (conformance.ts); on by default, as AWS does. */
  conformance?: boolean;
  /**
   * Evaluates every request signed by an action role's credentials against the role's policies (iam-eval.ts); on by
   * default, as AWS does. Off only for a test that wants to see what happens past a refusal.
   */
  iam?: boolean;
  /**
   * How long a new function, or an Inactive one invoked again, is Pending before it is Active (lambda-functions.ts).
   * AWS documents that a function is Pending while Lambda creates its VPC and EFS resources, but no duration: the
   * bed's is short, never zero, so that a caller that does not wait for Active fails as on AWS.
   */
  functionPendingMs: number;
  /**
   * How long a function nobody invokes stays Active before it is Inactive (lambda-pool.ts). Lambda documents no figure
   * for on-demand functions; it gives 14 days for SnapStart versions ("Lambda SnapStart and function states",
   * https://docs.aws.amazon.com/lambda/latest/dg/snapstart-activate.html), the default here. A test makes a function
   * Inactive with POST /functions/<name>/inactive.
   */
  functionIdleMs: number;
  /**
   * How long an idle execution environment stays warm (lambda-pool.ts). Lambda documents none ("Lambda execution
   * environment lifecycle": an environment is kept "for some time in anticipation of another function invocation").
   */
  functionWarmMs: number;
  /**
   * Smaller default pages than AWS's, per operation (paging.ts), so that a test with a few resources gets several
   * pages. Absent: AWS's documented defaults.
   */
  pageSizes?: Record<string, number>;
}

// Default HTTP statuses of the error codes tests use, as AWS answers them.
const STATUS: Record<string, number> = {
  Throttling: 400,
  ThrottlingException: 400,
  RequestLimitExceeded: 503,
  AccessDenied: 403,
  AccessDeniedException: 403,
  UnauthorizedOperation: 403,
  InsufficientInstanceCapacity: 500,
  VcpuLimitExceeded: 400,
  InstanceLimitExceeded: 400,
  InternalError: 500,
  InternalFailure: 500,
  ServiceUnavailable: 503,
  SlowDown: 503,
  // Lambda's throttle (botocore's lambda model, the shape's httpStatusCode).
  TooManyRequestsException: 429,
};

export class Faults {
  private rules: FaultRule[] = [];
  private nextId = 1;
  readonly neverOnline = new Set<string>();
  /** Instances down for a reboot (reboot.ts): SSM has them ConnectionLost until they are up again. */
  readonly rebooting = new Set<string>();
  /** Instances terminated the moment a SendCommand names them: gone between a run finding them and sending. */
  readonly vanishOnSend = new Set<string>();
  readonly unreachableFileSystems = new Set<string>();
  commandFaults: CommandFault[] = [];
  /** Each ends the next launched instance at once, pending → terminated with its StateReason (launch-faults.ts). */
  launchFaults: LaunchFault[] = [];
  /**
   * The StateReason DescribeInstances shows for each instance a launch fault ended. Not cleared with the faults: it
   * is what EC2 keeps saying about that instance.
   */
  readonly stateReasons = new Map<string, LaunchFault>();
  /** Instance types withheld per zone, and zones without capacity (zones.ts). */
  readonly zones: ZoneRules = { withheld: new Set(), noCapacity: new Set() };
  /** vCPU quotas a fault sets per class for a while (quotas.ts), over the account's (vcpuQuota). */
  readonly vcpuQuotas = new Map<string, number>();
  /**
   * Synchronous invocations whose caller's connection breaks while the function runs on (lambda-api.ts), by function
   * name: `afterMs` after the invocation began, or (undefined) once the function has answered, before the answer is
   * sent. Lambda's Invoke documentation: "For functions with a long timeout, your client might disconnect during
   * synchronous invocation while it waits for a response" (botocore's lambda model). Each is taken by one invocation.
   */
  droppedInvokes: { functionName: string; afterMs?: number }[] = [];
  settings: Settings;

  constructor(settings: Settings) {
    this.settings = settings;
  }

  addRule(rule: Omit<FaultRule, 'id' | 'seen' | 'nth' | 'times'> & { nth?: number; times?: number }): FaultRule {
    const full: FaultRule = { nth: 1, times: 1, ...rule, id: this.nextId++, seen: 0 };
    this.rules.push(full);
    return full;
  }

  /** The account's On-Demand vCPU quota of a class now: a fault's, else the account's, else AWS's default. */
  vcpuQuota(quotaClass: string): number | undefined {
    return this.vcpuQuotas.get(quotaClass) ?? this.settings.vcpuQuotas?.[quotaClass] ?? DEFAULT_VCPU_QUOTAS[quotaClass];
  }

  clear(): void {
    this.rules = [];
    this.commandFaults = [];
    this.launchFaults = [];
    this.droppedInvokes = [];
    this.neverOnline.clear();
    this.vanishOnSend.clear();
    this.unreachableFileSystems.clear();
    this.zones.withheld.clear();
    this.zones.noCapacity.clear();
    this.vcpuQuotas.clear();
  }

  list(): FaultRule[] {
    return this.rules;
  }

  /** The rule that applies to this call, counting the call against every matching rule. */
  match(service: string, operation: string, path = ''): FaultRule | undefined {
    let hit: FaultRule | undefined;
    for (const rule of this.rules) {
      if (rule.operation !== operation || (rule.service !== undefined && rule.service !== service)) continue;
      if (rule.pathContains !== undefined && !decodeURIComponent(path).includes(rule.pathContains)) continue;
      rule.seen++;
      if (!hit && rule.seen >= rule.nth && rule.seen < rule.nth + rule.times) hit = rule;
    }
    return hit;
  }

  statusOf(rule: FaultRule, service?: string): number {
    // SSM answers AccessDeniedException with 400, not the 403 of other services (sources in refusals.ts).
    if (rule.status === undefined && rule.code === 'AccessDeniedException' && service === 'ssm') return 400;
    return rule.status ?? (rule.code ? (STATUS[rule.code] ?? 400) : 500);
  }

  /** Takes the first command fault that applies to a script. */
  takeCommandFault(script: string): CommandFault | undefined {
    const index = this.commandFaults.findIndex((f) => f.match === undefined || script.includes(f.match));
    if (index < 0) return undefined;
    return this.commandFaults.splice(index, 1)[0];
  }
}
