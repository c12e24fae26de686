/**
 * The agent that runs on the instance: the Python package in agent/, shipped beside the bundles as one zipapp,
 * dist/agent/efsync_agent.pyz, so that the instance downloads and checks one file.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';

export const AGENT_NAME = 'efsync_agent.pyz';

export function agentFile(): { source: Buffer; sha256: string } {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // dist/<entry>/index.js → dist/agent/, built by scripts/package.js; src/run/*.ts (tests, the bench) → built here
  // from agent/ the same way, byte for byte.
  const shipped = path.join(here, '..', 'agent', AGENT_NAME);
  const sources = path.join(here, '..', '..', 'agent');
  let source: Buffer;
  if (fs.existsSync(shipped)) source = fs.readFileSync(shipped);
  else if (fs.existsSync(path.join(sources, '__main__.py'))) source = buildAgent(sources);
  else
    throw new Error(`The agent ${AGENT_NAME} is missing beside the action's code (looked in ${shipped}, ${sources}).`);
  return { source, sha256: createHash('sha256').update(source).digest('hex') };
}

/** The package's files as the zipapp holds them: `__main__.py` (its entry) and every .py of `efsync_agent/`, sorted. */
function agentSources(dir: string): string[] {
  const walk = (rel: string): string[] =>
    fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((entry) => {
      const name = `${rel}/${entry.name}`;
      if (entry.isDirectory()) return entry.name === '__pycache__' ? [] : walk(name);
      return entry.isFile() && entry.name.endsWith('.py') ? [name] : [];
    });
  return ['__main__.py', ...walk('efsync_agent')].sort();
}

// The zip format (PKWARE APPNOTE.TXT, 4.3): stored entries (method 0), each a local header and its bytes, then the
// central directory and its end record. Python runs such an archive whose root holds __main__.py (zipapp, PEP 441).
const DOS_DATE = (0 << 9) | (1 << 5) | 1; // 1980-01-01, the earliest time the format can hold: no build time leaks in
const MADE_BY_UNIX = (3 << 8) | 20; // the external attributes below are Unix modes
const FILE_MODE = 0o100644 << 16;

/**
 * The agent as one reproducible zipapp: the same sources give the same bytes, on any machine and at any time (sorted
 * entries, fixed times and modes, no compiled files, no compression whose output could change with zlib's version).
 */
export function buildAgent(dir: string): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const name of agentSources(dir)) {
    const data = fs.readFileSync(path.join(dir, name));
    const file = Buffer.from(name, 'utf8');
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0, 6); // flags
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt16LE(0, 10); // time 00:00:00
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(file.length, 26);
    local.writeUInt16LE(0, 28); // no extra field
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(MADE_BY_UNIX, 4);
    entry.writeUInt16LE(20, 6);
    local.copy(entry, 8, 6, 30); // flags through the extra field's length, as in the local header
    // comment length, disk number and internal attributes stay 0
    entry.writeUInt32LE(FILE_MODE >>> 0, 38);
    entry.writeUInt32LE(offset, 42);
    locals.push(local, file, data);
    central.push(entry, file);
    offset += local.length + file.length + data.length;
  }
  const size = central.reduce((sum, b) => sum + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(central.length / 2, 8);
  end.writeUInt16LE(central.length / 2, 10);
  end.writeUInt32LE(size, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...central, end]);
}
