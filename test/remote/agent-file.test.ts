// The agent's zipapp: one file, the same bytes at every build (dist/ is rebuilt in CI and must not change).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AGENT_NAME, agentFile, buildAgent } from '../../src/remote/agent-file.js';
import { ROOT } from '../support/repo.ts';

const SOURCES = path.join(ROOT, 'agent');

/** The central directory of a zip (APPNOTE.TXT 4.3.12): each entry's name, method, DOS time and date, Unix mode. */
function entries(zip: Buffer) {
  const end = zip.length - 22;
  expect(zip.readUInt32LE(end)).toBe(0x06054b50);
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const out: { name: string; method: number; time: number; date: number; mode: number }[] = [];
  for (let i = 0; i < count; i++) {
    expect(zip.readUInt32LE(at)).toBe(0x02014b50);
    const nameLength = zip.readUInt16LE(at + 28);
    const skip = nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    out.push({
      name: zip.toString('utf8', at + 46, at + 46 + nameLength),
      method: zip.readUInt16LE(at + 10),
      time: zip.readUInt16LE(at + 12),
      date: zip.readUInt16LE(at + 14),
      mode: zip.readUInt32LE(at + 38) >>> 16,
    });
    at += 46 + skip;
  }
  return out;
}

const scratch: string[] = [];
afterEach(() => {
  for (const dir of scratch.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('buildAgent', () => {
  it('holds the entry and every module of the package, sorted, with fixed times and modes', () => {
    const listed = entries(buildAgent(SOURCES));
    const names = listed.map((e) => e.name);
    expect(names[0]).toBe('__main__.py');
    expect(names).toContain('efsync_agent/__init__.py');
    expect(names).toContain('efsync_agent/run.py');
    expect(names).toContain('efsync_agent/lambda_handler.py');
    expect(names).toEqual([...names].sort());
    // The writer function's own code (agent/writer/, inlined by the template) is not the agent's.
    expect(
      names.filter(
        (n) => !n.endsWith('.py') || n.includes('__pycache__') || n.startsWith('tests/') || n.startsWith('writer/'),
      ),
    ).toEqual([]);
    for (const e of listed) expect(e).toMatchObject({ method: 0, time: 0, date: (1 << 5) | 1, mode: 0o100644 });
  });

  it('gives the same bytes twice, and from a copy with other times, modes, caches and tests', () => {
    const once = buildAgent(SOURCES);
    expect(buildAgent(SOURCES).equals(once)).toBe(true);
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'efsync-agent-src-'));
    scratch.push(copy);
    fs.cpSync(SOURCES, copy, { recursive: true });
    for (const file of ['__main__.py', 'efsync_agent/run.py']) {
      fs.utimesSync(path.join(copy, file), new Date(2030, 0, 1), new Date(2030, 0, 1));
      fs.chmodSync(path.join(copy, file), 0o700);
    }
    fs.mkdirSync(path.join(copy, 'efsync_agent', '__pycache__'), { recursive: true });
    fs.writeFileSync(path.join(copy, 'efsync_agent', '__pycache__', 'run.cpython-39.pyc'), 'compiled');
    fs.writeFileSync(path.join(copy, 'efsync_agent', 'notes.txt'), 'not Python');
    expect(buildAgent(copy).equals(once)).toBe(true);
    // and a change of a module changes the bytes
    fs.appendFileSync(path.join(copy, 'efsync_agent', 'run.py'), '\n');
    expect(buildAgent(copy).equals(once)).toBe(false);
  });
});

describe('agentFile', () => {
  it('from the sources, is the zipapp that `npm run package` puts in dist/agent/, with its sha256', () => {
    const { source, sha256 } = agentFile();
    expect(AGENT_NAME).toBe('efsync_agent.pyz');
    expect(source.equals(buildAgent(SOURCES))).toBe(true);
    expect(sha256).toBe(createHash('sha256').update(source).digest('hex'));
  });
});
