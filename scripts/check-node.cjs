// Runs first in `npm ci` (preinstall) and the npm scripts that run TypeScript: on a Node older than 24 it ends the
// command with one line naming the version needed and how to get it, instead of a stack trace from Node's type
// stripping. CommonJS and old syntax on purpose: it must run on the old Node it refuses.
// `node scripts/check-node.cjs 20.20.2` checks that version instead of the running one (for the tests).
'use strict';

var REQUIRED_MAJOR = 24;
var version = (process.argv[2] || process.versions.node).replace(/^v/, '');
var major = Number(version.split('.')[0]);

if (!(major >= REQUIRED_MAJOR)) {
  process.stderr.write(
    'efsync-action needs Node ' +
      REQUIRED_MAJOR +
      ' or later (this is Node ' +
      version +
      "): run 'nvm install' (it reads .node-version), or 'bash .ci/run', which installs Node 24 into " +
      '~/.cache/efsync-action/node-24.21.0/bin (put that first on PATH).\n',
  );
  process.exit(1);
}
