import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AWS_MODEL, Bandwidth, efsSeconds, parseLatency, pendingUntilBooted, throttle } from './latency.ts';

const item = (id: string, launched: string, state = '<code>16</code><name>running</name>') =>
  `<item><instanceId>${id}</instanceId><imageId>ami-1</imageId><instanceState>${state}</instanceState>` +
  `<privateDnsName>x</privateDnsName><launchTime>${launched}</launchTime></item>`;

describe('the latency model', () => {
  it('shows an instance pending until runningAfterMs after its launch time, each instance on its own', () => {
    const now = Date.parse('2026-11-24T10:00:30.000Z');
    const xml = `<reservationSet><item><instancesSet>${item('i-0aa', '2026-11-24T10:00:20.000Z')}${item(
      'i-0bb',
      '2026-11-24T10:00:00.000Z',
    )}</instancesSet></item></reservationSet>`;
    const out = pendingUntilBooted(xml, AWS_MODEL, now);
    expect(out).toContain(item('i-0aa', '2026-11-24T10:00:20.000Z', '<code>0</code><name>pending</name>'));
    expect(out).toContain(item('i-0bb', '2026-11-24T10:00:00.000Z'));
    // Once booted, the answer is moto's, unchanged; so is a terminated instance.
    expect(pendingUntilBooted(xml, AWS_MODEL, now + 20_000)).toBe(xml);
    const gone = item('i-0cc', '2026-11-24T10:00:29.000Z', '<code>48</code><name>terminated</name>');
    expect(pendingUntilBooted(gone, AWS_MODEL, now)).toBe(gone);
  });

  it('parses a model name with overrides, and refuses unknown names and keys', () => {
    expect(parseLatency('aws')).toEqual(AWS_MODEL);
    expect(parseLatency('aws:s3MiBps=40,runningAfterMs=1000')).toMatchObject({ s3MiBps: 40, runningAfterMs: 1000 });
    expect(() => parseLatency('azure')).toThrow(/Unknown latency model/);
    expect(() => parseLatency('aws:warp=9')).toThrow(/Bad latency setting/);
    expect(() => parseLatency('aws:s3MiBps=-1')).toThrow(/Bad latency setting/);
    expect(() => parseLatency('aws:name=1')).toThrow(/Bad latency setting/);
  });

  it('charges EFS for bytes written and for round trips spread over the agent threads', () => {
    const model = { ...AWS_MODEL, efsMiBps: 100, efsOpMs: 4, efsConcurrency: 8 };
    expect(efsSeconds(model, { bytesWritten: 200 * 1048576, filesWritten: 0, filesLinked: 0 })).toBe(2);
    // 10 files × 5 ops + 100 links × 2 ops = 250 ops × 4 ms / 8 threads.
    expect(efsSeconds(model, { bytesWritten: 0, filesWritten: 10, filesLinked: 100 })).toBe(0.125);
  });

  it('reserves time on a shared pipe in proportion to the bytes', () => {
    const pipe = new Bandwidth(1); // 1 MiB/s: 1 MiB takes 1000 ms, and the next one queues behind it
    const first = pipe.reserve(1048576);
    const second = pipe.reserve(1048576);
    expect(first).toBeGreaterThan(990);
    expect(second).toBeGreaterThan(first + 900);
  });

  it('lets every byte through a throttle, in order', async () => {
    const model = { ...AWS_MODEL, s3MiBps: 1000, s3TotalMiBps: 1000 };
    const chunks = [Buffer.from('alpha'), Buffer.from('beta'), Buffer.alloc(70_000, 3)];
    const out: Buffer[] = [];
    for await (const chunk of Readable.from(chunks).pipe(throttle(model, new Bandwidth(1000))))
      out.push(chunk as Buffer);
    expect(Buffer.concat(out)).toEqual(Buffer.concat(chunks));
  });
});
