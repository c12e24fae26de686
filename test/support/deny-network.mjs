// Preloaded with `node --import`: any attempt to open a network connection or resolve a name is written to the
// file named by EFSYNC_NETWORK_LOG and then refused, so a test can prove that a process made no network call.
import dns from 'node:dns';
import fs from 'node:fs';
import net from 'node:net';

const log = process.env.EFSYNC_NETWORK_LOG;

function refuse(what) {
  if (log) fs.appendFileSync(log, `${what}\n`);
  throw new Error(`network access refused in this test: ${what}`);
}

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  const [first] = args;
  // Local IPC pipes are not network calls.
  if (typeof first === 'string' || (first && typeof first === 'object' && 'path' in first && first.path)) {
    return connect.apply(this, args);
  }
  return refuse(`connect ${JSON.stringify(first)}`);
};
dns.lookup = (host) => refuse(`dns.lookup ${host}`);
dns.promises.lookup = async (host) => refuse(`dns.promises.lookup ${host}`);
