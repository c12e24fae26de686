"""efsync agent: carries out one job (JobManifest, src/remote/protocol.ts) on an EFS file system.

Runs on the short-lived Amazon Linux 2023 instance under SSM Run Command, as root, with the system python3 (3.9)
and nothing but the standard library. Usage: python3 efsync_agent.pyz JOB.json [--mounted DIR]. Or in a writer
function (Lambda, Python 3.10 and later), on the file system Lambda mounted: lambda_handler.handler(event, context).

Layout per target <parent>/<name> (DESIGN.md, "Layout on EFS: atomic releases"):
  <parent>/<name>                       relative symlink -> .<name>.efsync/<release-id>
  <parent>/.<name>.efsync/<id>/         one complete release: exactly what the source holds
  <parent>/.<name>.efsync/<id>.json     its tree {files, dirs}; each file says how its content was verified
  <parent>/.<name>.efsync/history.json  every switch of the target, oldest first (History)
The last line printed is `EFSYNC_RESULT <AgentResult JSON>`; the exit code is one of EXIT (common.py).

Modules, each one concern, lower ones first: common, log, fs (folders opened without following links), result,
files (writing and verifying), transfer (HTTP and retries), job (reading and checking it), mount (and the lock),
parts (staged parts), history (rollback and pruning), target (a target's releases), build (a release's files),
target_run (a sync or a rollback), run (the whole job); for a writer function: claim (a job carried out at most
once), deadline (the invocation's time), capacity (threads and parts its memory, /tmp and open files allow), imports
(a new dependency release imported before its switch, when the job asks: verify-imports). The
entry points: the instance's command (__main__.py beside this package, the zipapp's entry) and the writer function's
(lambda_handler.py, which the function's own code, agent/writer/index.py, calls once it has checked the zipapp).
"""
