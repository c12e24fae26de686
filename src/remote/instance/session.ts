/**
 * The run's one instance: the user's own (instance-id), a warm one reused (keep-warm), or launched at most once
 * (while staging runs), recorded for teardown the moment the run may leave it suspect. A launched or reused instance
 * stays warm only after the agent succeeded; any other end terminates it (teardown.ts).
 */
import { randomBytes } from 'node:crypto';
import { errorMessage } from '../../core/errors.js';
import { agentConcurrency } from '../../core/instance-size.js';
import type { InstanceSource } from '../../core/result.js';
import { forget, type RunContext, remember, throwIfCancelled, waitsFor } from '../context.js';
import { type Preflight, PreflightError } from '../preflight/preflight.js';
import { type LaunchPlan, launchInstance, terminateInstance } from './launch.js';
import type { Staying } from './ssm.js';
import { waitOnline, waitRunning } from './wait.js';
import { findWarm, tagWarm } from './warm.js';

/** How long a reused instance may answer InvalidInstanceId before it counts as vanished. */
const VANISH_AFTER_MS = 20_000;

export class InstanceSession {
  id: string | undefined;
  source: InstanceSource = 'launched';
  warmUntil: string | undefined;
  private ready: Promise<string> | undefined;
  private readonly ctx: RunContext;
  private readonly checked: Preflight;
  private readonly plan: LaunchPlan;
  /** What the agent keeps on the instance's disk at most with this concurrency (remote/job.ts, scratchBytes). */
  private readonly scratchBytes: (concurrency: number) => number;
  /** The agent's concurrency on the instance, once it is known whether one is reused (and of which type). */
  private readonly chosen: Promise<number>;
  private settle: (concurrency: number) => void = () => {};
  private concurrencyChosen: number;
  /** This run's lease on the instance's dead-man switch (switch.ts): hex, one per run. */
  private readonly lease = randomBytes(8).toString('hex');

  constructor(ctx: RunContext, checked: Preflight, plan: LaunchPlan, scratchBytes: (concurrency: number) => number) {
    this.ctx = ctx;
    this.checked = checked;
    this.plan = plan;
    this.scratchBytes = scratchBytes;
    this.concurrencyChosen = plan.concurrency;
    this.chosen = new Promise((resolve) => {
      this.settle = resolve;
    });
  }

  /**
   * The agent's concurrency for the job: the reused instance's type decides it, else the launch's sizing. Resolves as
   * soon as the choice between reusing and launching is made, before any launch.
   */
  concurrency(): Promise<number> {
    void this.start();
    return this.chosen;
  }

  private get keepWarmMs(): number {
    return (this.ctx.config.keepWarmMinutes ?? 0) * 60_000;
  }

  private log(line: string): void {
    this.ctx.reporter.info(`[instance] ${line}`);
  }

  /** Starts finding or launching an instance if not started; resolves once SSM has it Online. */
  start(): Promise<string> {
    if (!this.ready) {
      this.ready = this.choose();
      // Awaited later; until then a failure must not surface as an unhandled rejection.
      this.ready.catch(() => {});
    }
    return this.ready;
  }

  private async choose(): Promise<string> {
    const { borrowed } = this.checked;
    if (borrowed) {
      this.settle(this.concurrencyChosen);
      this.source = 'borrowed';
      this.id = borrowed.instanceId;
      this.log(`Using your instance ${borrowed.instanceId} (instance-id): it is never stopped or terminated`);
      return borrowed.instanceId;
    }
    if (this.keepWarmMs > 0) {
      const reused = await this.reuse().catch((error: unknown) => {
        this.log(`Looking for a warm instance failed (${errorMessage(error)}); launching one`);
        return undefined;
      });
      if (reused) return reused;
    }
    this.settle(this.concurrencyChosen);
    return this.launch();
  }

  private async reuse(): Promise<string | undefined> {
    const { ctx, checked } = this;
    const placements = this.plan.placements ?? [];
    const found = await findWarm(
      ctx.clients,
      {
        stack: ctx.config.fileSystem.stack,
        fileSystemId: ctx.config.fileSystem.id,
        subnetIds: [...new Set([checked.subnetId, ...placements.map((p) => p.subnetId)])],
        securityGroupIds: checked.securityGroupIds,
        instanceProfile: ctx.config.fileSystem.instanceProfile,
        architectures: [...new Set(this.plan.reuseTypes.map((t) => t.architecture))],
      },
      {
        types: this.plan.reuseTypes,
        scratchBytes: (type) => this.scratchBytes(agentConcurrency(type)),
      },
      (line) => this.log(line),
    );
    if (!found) {
      this.log('No warm instance fits this run: launching one');
      return undefined;
    }
    throwIfCancelled(ctx.hooks);
    const now = Date.now();
    const until = await tagWarm(
      ctx.clients,
      found.id,
      { warmUntil: now + this.keepWarmMs, expiresAt: ctx.deadline },
      ctx.runId,
    );
    this.source = 'reused';
    this.id = found.id;
    this.concurrencyChosen = agentConcurrency(found.instanceType);
    this.settle(this.concurrencyChosen);
    this.log(
      `Reusing warm instance ${found.id} (${found.instanceType}, ${found.rootGiB} GiB root volume; warm until ` +
        `${until.toISOString()}): no launch, no boot wait; the agent runs ${this.concurrencyChosen} downloads and ` +
        'writes at once on it',
    );
    return found.id;
  }

  private async launch(): Promise<string> {
    const { ctx } = this;
    throwIfCancelled(ctx.hooks);
    // keep-warm held preflight's network failure back until no warm instance was found (preflight.ts).
    if (this.checked.launchBlocker) throw new PreflightError(this.checked.launchBlocker);
    const log = (line: string) => this.log(line);
    const id = await launchInstance(
      ctx.clients,
      {
        runId: ctx.runId,
        stack: ctx.config.fileSystem.stack,
        fileSystemId: ctx.config.fileSystem.id,
        instanceProfile: ctx.config.fileSystem.instanceProfile,
        timeoutMinutes: ctx.config.timeoutMinutes,
        checked: this.checked,
        launch: this.plan,
        // The job's concurrency (a relaunch after a reused instance vanished keeps the reused type's).
        scratchBytes: this.scratchBytes(this.concurrencyChosen),
      },
      (launched) => {
        this.id = launched;
        this.source = 'launched';
        remember(ctx, 'instanceId', launched);
        // Launched while the run's teardown was already under way: it must not outlive the run.
        if (ctx.cleanup.started) void terminateInstance(ctx.clients, launched).catch(() => undefined);
      },
      log,
    );
    log(`${id} launched; waiting until it runs`);
    await waitRunning(ctx.clients, id, 300);
    log(`${id} is running; waiting for SSM to have it Online`);
    await waitOnline(ctx.clients, id, waitsFor(ctx.budgetSeconds, ctx.hooks).onlineSeconds);
    log(`${id} is Online`);
    return id;
  }

  /**
   * Right before the command is sent: from now on a reused instance may be left suspect, so the teardown
   * terminates it unless the run puts it back warm.
   */
  beforeSend(): void {
    if (this.source === 'reused' && this.id) remember(this.ctx, 'instanceId', this.id);
  }

  /** What the command does about the dead-man switch and what it leaves behind (ssm.ts, Staying). */
  staying(): Staying | undefined {
    if (this.source === 'borrowed') return {};
    // A launched instance without keep-warm ends with the run: the user data's switch is its only one.
    if (this.source === 'launched' && this.keepWarmMs <= 0) return undefined;
    // This run's lease: the switch fires no earlier than a minute past the run's deadline while the command runs.
    const armSeconds = Math.max(60, Math.ceil((this.ctx.deadline - Date.now()) / 1000) + 60);
    const warmSeconds = this.keepWarmMs > 0 ? Math.ceil(this.keepWarmMs / 1000) : undefined;
    return { lease: this.lease, armSeconds, ...(warmSeconds !== undefined && { warmSeconds }) };
  }

  /** For a reused instance only: InvalidInstanceId this long means it vanished. */
  vanishAfterMs(): number | undefined {
    return this.source === 'reused' ? VANISH_AFTER_MS : undefined;
  }

  /** The reused instance vanished before the command reached it: launch one instead (it is terminated if it runs). */
  relaunch(why: string): Promise<string> {
    const gone = this.id;
    this.log(`Warm instance ${gone} vanished before the command reached it (${why}); launching an instance instead`);
    if (gone) void terminateInstance(this.ctx.clients, gone).catch(() => undefined);
    forget(this.ctx, 'instanceId');
    this.ready = this.launch();
    this.ready.catch(() => {});
    return this.ready;
  }

  /**
   * After the agent succeeded with keep-warm: the instance stays running until warm-until (its switch was re-armed
   * by the command), and the teardown leaves it. Tagging failing leaves it recorded, so it is terminated.
   */
  async keepWarm(): Promise<void> {
    const { ctx } = this;
    if (this.keepWarmMs <= 0 || this.source === 'borrowed' || !this.id) return;
    try {
      const end = Date.now() + this.keepWarmMs;
      const until = await tagWarm(ctx.clients, this.id, { warmUntil: end, expiresAt: end });
      this.warmUntil = until.toISOString();
      remember(ctx, 'warmInstanceId', this.id);
      forget(ctx, 'instanceId');
      ctx.reporter.info(`${this.id} stays warm until ${this.warmUntil} for the next run (keep-warm).`);
    } catch (error) {
      ctx.reporter.warning(`Could not keep ${this.id} warm (${errorMessage(error)}); it is terminated.`);
    }
  }
}
