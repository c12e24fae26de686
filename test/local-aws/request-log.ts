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
}

export class RequestLog {
  private entries: LogEntry[] = [];
  private seq = 0;

  start(request: AwsRequest): (status: number, answeredBy: LogEntry['answeredBy']) => void {
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
    return (status, answeredBy) => {
      entry.status = status;
      entry.answeredBy = answeredBy;
      entry.ms = Date.now() - started;
    };
  }

  list(since = 0): LogEntry[] {
    return this.entries.filter((e) => e.seq > since);
  }

  clear(): void {
    this.entries = [];
  }
}
