import { run } from './action/main.js';

await run();
// Dangling SDK sockets or retry timers must not hold the step open.
process.exit();
