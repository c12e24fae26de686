/**
 * Runs the agent on the instance with one SSM SendCommand. The command text is a fixed bootstrap plus one short-lived
 * URL (the job) and two hashes: it fetches the job and the agent, verifies both, and runs the agent. No user value
 * is ever part of it.
 */
import {
  CancelCommandCommand,
  GetCommandInvocationCommand,
  type GetCommandInvocationCommandOutput,
  SendCommandCommand,
  type SendCommandCommandOutput,
} from '@aws-sdk/client-ssm';
import type { AwsClients } from '../../aws/clients.js';
import { delay } from '../../core/async.js';
import { EfsyncError } from '../../core/errors.js';
import { RemoteError } from '../outcome.js';
import { ARM_FUNCTIONS, EFSYNC_DIR, LEASES_DIR } from './switch.js';
import { commandComment } from './tags.js';
import { instanceState } from './wait.js';

/** A warm instance that went away between finding it and sending to it: the run launches one instead. */
export class InstanceVanished extends EfsyncError {}

// Runs under python3 on the instance: downloads the job (argv 1), checks its sha256 (argv 2), then the agent named in
// it, checks that too, and writes both beside each other. Both come from S3: an instance whose subnet has no route to
// S3 cannot connect (on AWS the connection times out), so it tries for DEADLINE seconds in all, each attempt bounded
// by ATTEMPT seconds, and then names S3's reachability. urlopen raises URLError (not HTTPError) only when it could not
// connect and send (CPython's AbstractHTTPHandler.do_open); an HTTP error or a broken answer is S3 reached, and a
// refusal (4xx but 408 and 429) is not tried again. Messages name what failed and why, never the URL (a secret).
const FETCH = [
  'import hashlib, json, sys, time, urllib.error, urllib.request',
  'DEADLINE, ATTEMPT = 60, 10',
  'started = time.monotonic()',
  'def get(url, what):',
  '    pause = 1',
  '    while True:',
  '        try:',
  '            with urllib.request.urlopen(url, timeout=ATTEMPT) as r: return r.read()',
  '        except urllib.error.HTTPError as e:',
  '            why, reached = "HTTP %d" % e.code, True',
  '            if e.code < 500 and e.code not in (408, 429): raise SystemExit("efsync bootstrap: S3 refused to send %s (%s)" % (what, why))',
  '        except urllib.error.URLError as e:',
  '            why, reached = "URLError: %s" % (e.reason,), False',
  '        except Exception as e:',
  '            why, reached = type(e).__name__, True',
  '        spent = time.monotonic() - started',
  '        if spent + pause > DEADLINE:',
  '            if reached: raise SystemExit("efsync bootstrap: could not download %s from S3 (%s; tried for %d s)" % (what, why, spent))',
  '            raise SystemExit("efsync bootstrap: cannot reach S3 to download %s (%s; tried for %d s): the instance\'s subnet needs a route to S3 (an S3 gateway endpoint on its route table, or a NAT gateway)" % (what, why, spent))',
  '        time.sleep(pause)',
  '        pause = min(pause * 2, 8)',
  'def check(data, sha, what):',
  '    if hashlib.sha256(data).hexdigest() != sha: raise SystemExit("efsync bootstrap: %s does not match its sha256" % what)',
  'job = get(sys.argv[1], "the job"); check(job, sys.argv[2], "the job")',
  'agent = json.loads(job)["agent"]',
  'code = get(agent["url"], "the agent"); check(code, agent["sha256"], "the agent")',
  'open("job.json", "wb").write(job); open("efsync_agent.pyz", "wb").write(code)',
];

/**
 * How the command treats an instance that outlives the run (a warm one, or the user's own): the work directory is
 * removed when the command ends, and runs on the instance take turns (a lock on the instance, then the lock on EFS).
 * On an efsync instance it also keeps the dead-man switch (switch.ts): `lease` (hex) names this run's lease, which
 * holds the switch at least `armSeconds` from the command's start (the run's deadline) while the command runs, and is
 * removed when it ends, success or failure; `warmSeconds`, once the agent has succeeded, records warm-until that far
 * ahead (keep-warm). Whenever the command ends the switch is armed again from what is left: warm-until plus a minute,
 * or a later lease of another run still at work.
 */
export interface Staying {
  lease?: string;
  armSeconds?: number;
  warmSeconds?: number;
}

const AGENT_LOCK = `${EFSYNC_DIR}/agent.lock`;

/**
 * The command's work folder (the job and the agent): its own, named efsync-run.*, in $TMPDIR or /tmp (SSM Agent sets
 * no TMPDIR: /tmp, a tmpfs on Amazon Linux 2023), removed when the command ends. A command SSM ends at its
 * executionTimeout or on CancelCommand is killed with SIGKILL, process group and all (killProcess in
 * agent/executers/executers_unix.go of aws/amazon-ssm-agent), and leaves its folder: on a warm or borrowed instance the
 * next run removes each such folder that no live run holds. A run holds its folder by a lock on its .in-use file for as
 * long as its bash lives; a folder whose lock is free belongs to a run that is gone. Only root's own folders, never
 * through a symbolic link.
 */
const SCRATCH = [
  'work=$(mktemp -d -t efsync-run.XXXXXXXXXX)',
  `trap 'cd / && rm -rf "$work"' EXIT`,
  'exec 8>"$work/.in-use"',
  'flock 8',
  'for old in "$(dirname "$work")"/efsync-run.*; do',
  '  if [ "$old" != "$work" ] && [ -d "$old" ] && [ ! -L "$old" ] && [ -O "$old" ] && [ -f "$old/.in-use" ]; then',
  '    flock -n "$old/.in-use" rm -rf -- "$old" || true',
  '  fi',
  'done',
];

const whole = (n: number | undefined) => n !== undefined && Number.isSafeInteger(n) && n >= 0;

/** The command's lines. `jobUrl` is the only non-constant text besides hex (hashes, the lease) and whole numbers, and is single-quoted. */
export function bootstrap(jobUrl: string, jobSha256: string, staying?: Staying): string[] {
  if (!/^https?:\/\/[^'\s]+$/.test(jobUrl) || !/^[0-9a-f]{64}$/.test(jobSha256))
    throw new RemoteError('bad job location');
  const fetch = [`python3 - '${jobUrl}' ${jobSha256} <<'EFSYNC_FETCH'`, ...FETCH, 'EFSYNC_FETCH'];
  if (!staying) {
    return [
      '#!/bin/bash',
      'set -euo pipefail',
      'umask 022',
      ...SCRATCH,
      'cd "$work"',
      ...fetch,
      'python3 efsync_agent.pyz job.json',
    ];
  }
  const { lease, armSeconds, warmSeconds } = staying;
  if ((armSeconds !== undefined && !whole(armSeconds)) || (warmSeconds !== undefined && !whole(warmSeconds)))
    throw new RemoteError('bad dead-man switch time');
  if ((lease === undefined) !== (armSeconds === undefined) || (lease !== undefined && !/^[0-9a-f]{8,64}$/.test(lease)))
    throw new RemoteError('bad dead-man switch lease');
  const arming = lease !== undefined;
  const cleanup = `trap 'rm -f ${LEASES_DIR}/${lease}; efsync_arm || true; cd / && rm -rf "$work"' EXIT`;
  return [
    '#!/bin/bash',
    'set -euo pipefail',
    'umask 022',
    ...SCRATCH,
    // Replaces SCRATCH's trap: the run's lease goes and the switch is re-armed however the command ends.
    ...(arming ? [...ARM_FUNCTIONS, cleanup] : []),
    'cd "$work"',
    ...(arming
      ? [`mkdir -p ${LEASES_DIR}`, `echo $(( $(date +%s) + ${armSeconds} )) > ${LEASES_DIR}/${lease}`, 'efsync_arm']
      : []),
    ...fetch,
    `mkdir -p ${EFSYNC_DIR}`,
    `flock ${AGENT_LOCK} python3 efsync_agent.pyz job.json`,
    ...(arming && warmSeconds !== undefined ? [`efsync_warm ${warmSeconds}`] : []),
  ];
}

export interface RemoteOutcome {
  status: string;
  responseCode: number;
  stdout: string;
  stderr: string;
}

export interface RemoteRequest {
  instanceId: string;
  runId: string;
  /**
   * Presigns the job URL the command carries, called right before each SendCommand (also before each retry), so the
   * URL need only live as long as the command takes to start (JOB_URL_SECONDS).
   */
  jobUrl: () => Promise<string>;
  jobSha256: string;
  /** For an instance that outlives the run (see Staying). */
  staying?: Staying;
  /**
   * For a warm instance found a moment ago: InvalidInstanceId for this long, or the instance no longer running,
   * means it vanished (InstanceVanished), instead of SSM not having a new instance yet.
   */
  vanishAfterMs?: number;
  executionTimeoutSeconds: number;
  onCommandId: (id: string) => void;
  log?: (line: string) => void;
  sleep?: (ms: number) => Promise<void>;
}

// Cancelling is not terminal: the command is still being cancelled (CommandInvocationStatus in botocore's ssm
// service-2.json lists it beside Pending, InProgress and Delayed; "Understanding command statuses", SSM User Guide).
export const RUNNING = new Set(['Pending', 'InProgress', 'Delayed', 'Cancelling']);

/**
 * SendCommand to an instance that has only just come Online can answer InvalidInstanceId while SSM's view of it
 * settles ("the instance is not in a valid state", SendCommand errors in the SSM API reference): tried again for up
 * to this long.
 */
const NOT_YET_ONLINE_MS = 60_000;

/**
 * How long the job URL in the command text is valid. SendCommand's parameters stay in the account's command history,
 * readable to anyone allowed ssm:ListCommands, which returns each command's Parameters
 * (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_ListCommands.html, API_Command.html); "Run
 * Command stores the command history for 30 days" (Amazon EC2 User Guide, "Manage Amazon EC2 Instances Remotely",
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/execute-remote-commands.html). The URL there must die long
 * before that. The bootstrap fetches the job as soon as the command is delivered (within its 60 s download deadline),
 * and a command not delivered within TimeoutSeconds never runs (Delivery Timed Out, "Understanding command statuses",
 * SSM User Guide), so 10 minutes covers every start; the URL is presigned again before each SendCommand attempt.
 */
export const JOB_URL_SECONDS = 600;
const DELIVERY_TIMEOUT_SECONDS = 600;

/**
 * The wait before status poll `poll` (from 0). SSM shows a command's end only to GetCommandInvocation, so the run
 * learns of it at the next poll: every 0.5 s for the first 10 s, where a change on a warm or borrowed instance ends,
 * then 0.25 s longer each time, up to 5 s, for long publishes. Two calls a second stay far below SSM's throttling,
 * and a throttled poll is retried by the SDK.
 */
export function pollDelayMs(poll: number): number {
  return poll < FAST_POLLS ? 500 : Math.min(500 + (poll - FAST_POLLS + 1) * 250, 5000);
}
const FAST_POLLS = 20;

export async function runRemote(clients: AwsClients, request: RemoteRequest): Promise<RemoteOutcome> {
  const { ssm, ec2 } = clients;
  const sleep = request.sleep ?? delay;
  const command = async () =>
    new SendCommandCommand({
      InstanceIds: [request.instanceId],
      DocumentName: 'AWS-RunShellScript',
      Comment: commandComment(request.runId),
      TimeoutSeconds: DELIVERY_TIMEOUT_SECONDS,
      Parameters: {
        commands: bootstrap(await request.jobUrl(), request.jobSha256, request.staying),
        executionTimeout: [String(request.executionTimeoutSeconds)],
      },
    });
  const vanishing = request.vanishAfterMs !== undefined;
  const givingUp = Date.now() + (request.vanishAfterMs ?? NOT_YET_ONLINE_MS);
  let sent: SendCommandCommandOutput | undefined;
  while (!sent) {
    try {
      sent = await ssm.send(await command());
    } catch (error) {
      if ((error as Error).name !== 'InvalidInstanceId') throw error;
      if (vanishing) {
        const state = await instanceState(ec2, request.instanceId);
        if (state !== 'running' || Date.now() > givingUp)
          throw new InstanceVanished(
            state === 'running'
              ? `SSM no longer takes commands for ${request.instanceId} (InvalidInstanceId)`
              : `${request.instanceId} is ${state}`,
          );
      } else if (Date.now() > givingUp) throw error;
      request.log?.(`SSM does not take commands for ${request.instanceId} yet (InvalidInstanceId); trying again`);
      await sleep(3000);
    }
  }
  const commandId = sent.Command?.CommandId ?? '';
  request.onCommandId(commandId);
  let missingSince = Date.now();
  for (let poll = 0; ; poll++) {
    await sleep(pollDelayMs(poll));
    let invocation: GetCommandInvocationCommandOutput;
    try {
      invocation = await ssm.send(
        new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: request.instanceId }),
      );
      missingSince = Date.now();
    } catch (error) {
      // SSM takes a moment to know of a new invocation.
      if ((error as Error).name !== 'InvocationDoesNotExist' || Date.now() - missingSince > 120_000) throw error;
      continue;
    }
    // Output arrives only once the command has ended (the agent's log is read from staging while it runs).
    const stdout = invocation.StandardOutputContent ?? '';
    if (!RUNNING.has(invocation.Status ?? '')) {
      return {
        status: invocation.StatusDetails || invocation.Status || 'Unknown',
        responseCode: invocation.ResponseCode ?? -1,
        stdout,
        stderr: invocation.StandardErrorContent ?? '',
      };
    }
    // Whether the instance still runs: about every 2.5 s at first, then less often as the polls slow down.
    if (poll % 5 === 4) {
      const state = await instanceState(ec2, request.instanceId);
      if (state !== 'running') {
        throw new RemoteError(
          `Instance ${request.instanceId} is ${state} while the agent was running: it was terminated mid-command.`,
        );
      }
    }
  }
}

export async function cancelCommand(clients: AwsClients, commandId: string): Promise<void> {
  await clients.ssm.send(new CancelCommandCommand({ CommandId: commandId }));
}
