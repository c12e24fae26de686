#!/usr/bin/env node
import { main } from './cli/main.js';

const code = await main(process.argv.slice(2));
process.exitCode = code;
// A cancelled run has been torn down; whatever it was still waiting for must not keep the process alive.
if (code > 128) process.exit();
