"""The Lambda entry point, reserved: a function that writes the file system in place of an instance.

The engine behind it does not exist yet. It will take the same job as the instance's command (JobManifest,
src/remote/protocol.ts) and answer with the same result (AgentResult), with the file system mounted by Lambda itself
(--mounted, run.carry_out) instead of by mount(). Until then the handler refuses every event."""


def handler(event, context):
    """Lambda's handler signature, handler(event, context); refuses the call until the engine exists."""
    raise NotImplementedError('efsync agent: the Lambda engine is not built yet; run the job on an instance')
