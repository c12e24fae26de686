// Every AWS call the front sees: service, operation, key parameters, status, and who answered it.
import type { AwsRequest } from './aws-protocol.ts';

export interface LogEntry {
  seq: number;
  time: string;
  service: string;
  operation: string;
  params: Record<string, string>;
  status: number;
  /** moto, the test bed's own SSM, or an injected fault. */
  answeredBy: 'moto' | 'testbed' | 'fault';
  ms: number;
  /** The service-model check (conformance.ts). */
  check?: 'checked' | 'refused' | 'unchecked' | 'off';
  /**
   * IAM evaluation (iam-eval.ts), for a request signed by an evaluated principal: each action and resource AWS
   * authorizes for the call, whether it was allowed, and the verdict. Absent for the harness's administrator keys and
   * with evaluation switched off.
   */
  iam?: { principal: string; allowed: boolean; checks: { action: string; resource: string; allowed: boolean }[] };
}

export type Done = ((status: number, answeredBy: LogEntry['answeredBy']) => void) & {
  /** Records the request's IAM evaluation. */
  iam(evaluation: NonNullable<LogEntry['iam']>): void;
};

export class RequestLog {
  private entries: LogEntry[] = [];
  private seq = 0;

  start(request: AwsRequest): Done {
    const started = Date.now();
    const entry: LogEntry = {
      seq: ++this.seq,
      time: new Date(started).toISOString(),
      service: request.service,
      operation: request.operation,
      params: request.params,
      status: 0,
      answeredBy: 'moto',
      ms: 0,
      ...(request.check ? { check: request.check } : {}),
    };
    this.entries.push(entry);
    const done = (status: number, answeredBy: LogEntry['answeredBy']) => {
      entry.status = status;
      entry.answeredBy = answeredBy;
      entry.ms = Date.now() - started;
    };
    return Object.assign(done, {
      iam(evaluation: NonNullable<LogEntry['iam']>) {
        entry.iam = evaluation;
      },
    });
  }

  list(since = 0): LogEntry[] {
    return this.entries.filter((e) => e.seq > since);
  }

  clear(): void {
    this.entries = [];
  }
}
