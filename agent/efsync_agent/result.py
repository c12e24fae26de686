"""Results: what the agent reports (AgentResult, TargetResult in src/remote/protocol.ts)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, NamedTuple, Optional

from .common import wire


class Done(NamedTuple):
    """What one task added to a release."""
    files_written: int = 0
    bytes_written: int = 0
    files_linked: int = 0


@dataclass
class TargetResult:
    target: str
    status: str  # 'failed' until the target is done: a failure still reports what was done
    release_id: str
    previous_release_id: Optional[str] = None
    files_written: int = 0
    bytes_written: int = 0
    files_linked: int = 0
    files_deleted: int = 0
    releases_pruned: List[str] = field(default_factory=list)
    actual_release_id: Optional[str] = None  # what a base-mismatch target serves (None: nothing)
    tree: Optional[dict] = None  # what a rolled-back target serves now

    # Keys on the wire only with their status: actualReleaseId can be null, and is there all the same.
    ONLY_WITH = {'actual_release_id': 'base-mismatch', 'tree': 'rolled-back'}

    def count(self, done):
        self.files_written += done.files_written
        self.bytes_written += done.bytes_written
        self.files_linked += done.files_linked

    def to_json(self):
        return wire(self, {key for key, status in self.ONLY_WITH.items() if status != self.status})


@dataclass
class AgentResult:
    version: int = 1
    run_id: Optional[str] = None  # the job's runId: the action refuses a result of another run
    job_sha256: Optional[str] = None  # sha256 of the job file read: the action refuses a result of another job
    status: str = 'ok'  # 'ok' | 'base-mismatch' | 'error'
    targets: List[TargetResult] = field(default_factory=list)
    seconds: float = 0
    error: Optional[str] = None  # one line, for the step's error message

    def fail(self, code, message):
        self.status, self.error = 'error', message
        return code

    def to_json(self):
        out = wire(self, () if self.error is not None else ('error',))
        out['targets'] = [t.to_json() for t in self.targets]
        return out
