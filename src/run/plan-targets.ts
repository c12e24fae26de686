/**
 * Plans every target on the runner, before any instance exists: the tree each source has now, the last published
 * state of its target, and the difference. Dependencies whose release key is unchanged are not even installed. And
 * the plan a run would carry out, as lines a person reads (describePlan, pure).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AwsClients } from '../aws/clients.js';
import { configuredTargets, localInsideS3, targetPaths } from '../config/targets.js';
import type { Config, DepsSource } from '../config/types.js';
import type { Reporter } from '../core/reporter.js';
import type { ObjectCheck } from '../core/tree.js';
import type { Interpreter } from '../plan/bytecode.js';
import { depsReleaseKey } from '../plan/deps.js';
import { installDependencies, readRequirements, resolveInstaller } from '../plan/deps-install.js';
import { describeIndexes, discoverIndexes } from '../plan/index-discovery.js';
import { walkLocal } from '../plan/local.js';
import { pathLimitProblem } from '../plan/path-limits.js';
import { describeCarry, describePlace, type FoundState, findState, type Place, stateKey } from '../plan/place.js';
import { inspectObjects } from '../plan/s3-objects.js';
import { listS3Tree } from '../plan/s3-source.js';
import {
  type DiffOptions,
  describeTargetPlan,
  diffPlan,
  mergeUnder,
  PlanError,
  rollbackPlan,
  type TargetPlan,
  unchangedPlan,
} from '../plan/target-plan.js';
import { objectsToFetch } from '../remote/job.js';

export interface PlanOptions {
  /** Ignore the published state's tree: every file is fetched (after a base mismatch). */
  full?: boolean;
  /** Where dependencies are installed on the runner. */
  buildDir: string;
  /** The Python that writes the dependencies' .pyc files, looked for while the run signs in (engine.ts); none: undefined. */
  compiler?: Promise<Interpreter | undefined>;
  /** Where the targets live: the file system and the access point's root directory (preflight learns it). */
  place: Place;
}

/** What the target serves now at this place, by its last published state (plan/place.ts). */
async function publishedStateOf(
  config: Config,
  clients: AwsClients,
  place: Place,
  target: string,
  reporter?: Reporter,
  ownOnly?: boolean,
): Promise<FoundState> {
  const bucket = config.staging.bucket ?? '';
  const found = await findState(clients.s3, bucket, config.staging.prefix, place, target, {
    ...(ownOnly && { ownOnly }),
  });
  const line = describeCarry(bucket, target, found, place);
  if (line) reporter?.info(line);
  return found;
}

/** A plan on a carried-over state is never "unchanged": only the agent can tell whether it is this place's. */
function carried(plan: TargetPlan, found: FoundState): TargetPlan {
  return found.carriedFrom ? { ...plan, unchanged: false, carriedFrom: found.carriedFrom } : plan;
}

export async function planTargets(
  config: Config,
  clients: AwsClients,
  reporter: Reporter,
  options: PlanOptions,
): Promise<TargetPlan[]> {
  const diff: DiffOptions = { delete: config.delete, ...(options.full && { full: true }) };
  const args: SourceArgs = { config, clients, reporter, options, diff };
  // The sources are planned side by side (the dependencies' interpreter probes and install take the longest); each
  // ends before the plan does, whichever fails, and the plans keep the sources' order.
  const settled = await Promise.allSettled([planDeps(args), planLocal(args), planS3(args)]);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.flatMap((r) => (r.status === 'fulfilled' && r.value ? [r.value] : []));
}

interface SourceArgs {
  config: Config;
  clients: AwsClients;
  reporter: Reporter;
  options: PlanOptions;
  diff: DiffOptions;
}

async function planDeps({ config, clients, reporter, options, diff }: SourceArgs): Promise<TargetPlan | undefined> {
  if (!config.deps) return undefined;
  const deps = config.deps;
  // The interpreter's probes and the published state's read do not wait for each other.
  const [probed, published] = await bothSettled(
    probeDeps(config, deps, options, reporter),
    publishedStateOf(config, clients, options.place, deps.target, reporter, options.full),
  );
  const { installer, found, key, compiler } = probed;
  const previous = published.state;
  if (previous?.key === key && !config.force && !options.full && !published.carriedFrom) {
    reporter.info(
      `${deps.target}: requirements, runtime, installer and compile are unchanged (release key ${key.slice(0, 12)}); not installing.`,
    );
    return unchangedPlan('pip', deps.target, previous, key);
  }
  const root = path.join(options.buildDir, 'deps');
  const access = {
    secrets: found.secrets,
    authenticated: found.indexes.filter((index) => index.credentials).map((index) => index.url),
  };
  const log = (line: string) => reporter.info(line);
  const tree = await installDependencies(deps, config.workspace, root, log, installer, access, compiler);
  return withinLimits(carried(diffPlan('pip', deps.target, tree, previous, diff, { root, key }), published), config);
}

/** The installer, the indexes and the release key of the dependencies: what decides whether they changed. */
async function probeDeps(config: Config, deps: DepsSource, options: PlanOptions, reporter: Reporter) {
  const installer = await resolveInstaller(deps.installer);
  const requirementsText = await readRequirements(path.resolve(config.workspace, deps.requirements));
  const found = await discoverIndexes({
    installer: installer.installer,
    workspace: config.workspace,
    pipArgs: deps.pipArgs,
    requirementsText,
    env: process.env,
    ...(installer.python !== undefined && { python: installer.python }),
    ...(installer.pythonPrefix !== undefined && { pythonPrefix: installer.pythonPrefix }),
  });
  // Masked before any line of the installer (or of this run) can print them.
  for (const secret of found.secrets) reporter.secret(secret);
  const indexLine = describeIndexes(installer.installer, found.indexes);
  if (indexLine) reporter.info(indexLine);
  const compiler = await options.compiler;
  const key = depsReleaseKey({
    requirementsText,
    pythonVersion: deps.pythonVersion,
    architecture: deps.architecture,
    installer: installer.installer,
    pipArgs: deps.pipArgs,
    indexes: found.keyed,
    compiled: compiler !== undefined,
  });
  return { installer, found, key, compiler };
}

/** Both results, once both have ended; the first failure, once both have ended. */
async function bothSettled<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [x, y] = await Promise.allSettled([a, b]);
  if (x.status === 'rejected') throw x.reason;
  if (y.status === 'rejected') throw y.reason;
  return [x.value, y.value];
}

async function planLocal({ config, clients, reporter, options, diff }: SourceArgs): Promise<TargetPlan | undefined> {
  const nested = localInsideS3(config);
  if (!config.local || nested !== undefined) return undefined;
  const root = path.resolve(config.workspace, config.local.dir);
  const tree = await walkLocal(root);
  const found = await publishedStateOf(config, clients, options.place, config.local.target, reporter, options.full);
  const plan = diffPlan('local', config.local.target, tree, found.state, diff, { root });
  return withinLimits(carried(plan, found), config);
}

async function planS3({ config, clients, reporter, options, diff }: SourceArgs): Promise<TargetPlan | undefined> {
  const nested = localInsideS3(config);
  if (!config.s3) return undefined;
  let tree = await listS3Tree(clients.s3, config.s3.source);
  let root: string | undefined;
  if (config.local && nested !== undefined) {
    // efsync's layout: the folder joins the S3 objects at its place inside the S3 target, in the same release.
    // Its files are staged from a directory where their paths (which start with that place) resolve.
    const dir = path.resolve(config.workspace, config.local.dir);
    tree = mergeUnder(tree, await walkLocal(dir), nested);
    root = path.join(options.buildDir, 'nested');
    fs.mkdirSync(path.dirname(path.join(root, nested)), { recursive: true });
    fs.rmSync(path.join(root, nested), { force: true });
    fs.symlinkSync(dir, path.join(root, nested));
  }
  const found = await publishedStateOf(config, clients, options.place, config.s3.target, reporter, options.full);
  const extra = { s3Source: config.s3.source, ...(root && { root }) };
  const plan = withinLimits(carried(diffPlan('s3', config.s3.target, tree, found.state, diff, extra), found), config);
  // Only the objects to fetch are inspected: one HeadObject each, before any instance (s3-objects.ts).
  plan.objectChecks = await inspectObjects(clients.s3, config.s3.source, objectsToFetch(plan));
  const line = describeChecks(plan.objectChecks);
  if (line) reporter.info(`${plan.target}: ${line}`);
  return plan;
}

/** The plan, once every name and path in it fits EFS and the Lambda (path-limits.ts); else a PlanError naming it. */
function withinLimits(plan: TargetPlan, config: Config): TargetPlan {
  const problem = pathLimitProblem(plan, config.fileSystem.lambdaMountPath);
  if (problem !== undefined) throw new PlanError(problem);
  return plan;
}

/**
 * Rollback needs no tree: each configured target, with the state that says what it serves now at this place. A state
 * at the legacy key is not read (`ownOnly`): the agent rolls back what this place serves, and its result is the state.
 */
export async function rollbackPlans(config: Config, clients: AwsClients, place: Place): Promise<TargetPlan[]> {
  const plans: TargetPlan[] = [];
  for (const { kind, target } of configuredTargets(config))
    plans.push(
      rollbackPlan(kind, target, (await publishedStateOf(config, clients, place, target, undefined, true)).state),
    );
  return plans;
}

/** How the S3 objects to fetch will be verified, e.g. "3 S3 objects to fetch, verified by md5 (2), size only (1)". */
export function describeChecks(checks: Map<string, ObjectCheck>): string | undefined {
  if (checks.size === 0) return undefined;
  const counts = new Map<string, number>();
  for (const { verify } of checks.values()) {
    const name = verify === 'size' ? 'size only' : verify;
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  const by = [...counts].map(([name, n]) => `${name} (${n})`).join(', ');
  return `${checks.size} S3 object${checks.size === 1 ? '' : 's'} to fetch, verified by ${by}`;
}

/** `place` is where the targets live (preflight learns the access point's root); '/' of the file system by default. */
export function describePlan(
  config: Config,
  place: Place = { fileSystemId: config.fileSystem.id, root: '/' },
): string[] {
  const { fileSystem: fs, aws, staging } = config;
  const where = fs.accessPointId ? `${fs.id} through access point ${fs.accessPointId}` : fs.id;
  const lines = [`Mode ${config.mode} in ${aws.region}${config.dryRun ? ', dry run' : ''}.`];
  if (config.mode === 'sweep') {
    lines.push(`Terminate efsync instances left running${fs.id ? ` for ${fs.id}` : ''} and delete stale staging runs.`);
    return lines;
  }
  lines.push(`File system: ${where}.`);
  const sources: Record<string, string> = {
    pip: config.deps
      ? `${config.deps.requirements} for python${config.deps.pythonVersion} on ${config.deps.architecture} (installer ${config.deps.installer})`
      : '',
    local: config.local ? `workspace folder ${config.local.dir}` : '',
    s3: config.s3 ? `s3://${config.s3.source.bucket}/${config.s3.source.prefix}` : '',
  };
  for (const path of targetPaths(config, place.root)) {
    const verb = config.mode === 'rollback' ? 'Roll back' : `Publish ${sources[path.kind]} to`;
    lines.push(`${verb} ${path.target} (Lambda: ${path.lambdaPath}).`);
  }
  if (config.mode === 'sync') {
    const launched = fs.instanceTypes.length
      ? fs.instanceTypes.join(' or ')
      : 'an instance sized to the bytes to move (instance-type: auto)';
    // Which engine (remote/engine-choice.ts): under auto, the writer function when the job fits it (lambda/fit.ts).
    const writer = config.engine !== 'instance' && fs.writerFunction ? fs.writerFunction : '';
    const instance =
      `launch ${launched} in ${fs.subnetId ?? "a mount target's subnet"} with instance profile ` +
      `${fs.instanceProfile}, apply over SSM`;
    const onInstance =
      writer && config.engine === 'auto'
        ? `hand the job to the writer function ${writer} if it fits (its mount, its timeout, its /tmp), else ${instance}`
        : instance;
    lines.push(
      `Compare with the last published state of ${describePlace(place)} in ` +
        `s3://${staging.bucket}/${stateKey(staging.prefix, place, '').replace(/\.json$/, '')}; ` +
        `${config.force ? 'publish even if nothing changed' : 'stop here if nothing changed'}.`,
      `Stage changed files under s3://${staging.bucket}/${staging.prefix}runs/, ` +
        `${writer && config.engine === 'lambda' ? `hand the job to the writer function ${writer} (engine lambda)` : onInstance}.`,
      `Switch each target atomically to its new release, ${config.delete ? 'deleting' : 'keeping'} files gone from ` +
        `the source, keeping ${config.keepReleases} release(s)` +
        `${writer && config.engine === 'lambda' ? '.' : `; stop ${writer ? 'an' : 'the'} instance within ${config.timeoutMinutes} min.`}`,
    );
  }
  return lines;
}

/**
 * Why a base mismatch means planning again: someone else published in between, or a state carried over from the
 * legacy key is not this place's (its release is not served here), so it is ignored.
 */
export function replanWarning(mismatch: Error, plans: TargetPlan[], bucket: string): string {
  const legacy = plans.find((p) => p.carriedFrom && mismatch.message.startsWith(`${p.target} serves`));
  const why = legacy
    ? `; the state at s3://${bucket}/${legacy.carriedFrom} was not written through this place, so it is ignored`
    : '';
  return `${mismatch.message}${why}; planning again with a full upload.`;
}

/** Logs what the run will do and each target's plan; returns the plans. */
export function reportPlan(config: Config, place: Place, plans: TargetPlan[], reporter: Reporter): TargetPlan[] {
  for (const line of describePlan(config, place)) reporter.info(line);
  for (const plan of plans) reporter.info(describeTargetPlan(plan, config.delete));
  return plans;
}
