// Bundles each entry point into dist/ with @vercel/ncc, and the API's type declarations with tsc.
// CI rebuilds dist/ and fails if the result differs from what is committed.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { AGENT_NAME, buildAgent } from '../src/remote/agent-file.ts';

const entries = {
  main: 'src/main.ts',
  post: 'src/post.ts',
  cli: 'src/cli.ts',
  api: 'src/index.ts',
};

fs.rmSync('dist', { recursive: true, force: true });
for (const [name, entry] of Object.entries(entries)) {
  execFileSync('npx', ['ncc', 'build', entry, '-o', `dist/${name}`, '--license', 'licenses.txt', '--quiet'], {
    stdio: 'inherit',
  });
}
execFileSync('npx', ['tsc', '-p', 'tsconfig.types.json'], { stdio: 'inherit' });
// The agent runs on the instance as one zipapp beside the bundles, the same bytes at every build.
fs.mkdirSync('dist/agent', { recursive: true });
fs.writeFileSync(`dist/agent/${AGENT_NAME}`, buildAgent('agent'));
