/** The plan a run would carry out, as lines a person reads. Pure: no AWS, no files. */
import { targetPaths } from '../config/targets.js';
import type { Config } from '../config/types.js';
import { describePlace, type Place, stateKey } from '../plan/place.js';

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
    lines.push(
      `Compare with the last published state of ${describePlace(place)} in ` +
        `s3://${staging.bucket}/${stateKey(staging.prefix, place, '').replace(/\.json$/, '')}; ` +
        `${config.force ? 'publish even if nothing changed' : 'stop here if nothing changed'}.`,
      `Stage changed files under s3://${staging.bucket}/${staging.prefix}runs/, launch ${launched} ` +
        `in ${fs.subnetId ?? "a mount target's subnet"} with instance profile ${fs.instanceProfile}, apply over SSM.`,
      `Switch each target atomically to its new release, ${config.delete ? 'deleting' : 'keeping'} files gone from ` +
        `the source, keeping ${config.keepReleases} release(s); stop the instance within ${config.timeoutMinutes} min.`,
    );
  }
  return lines;
}
