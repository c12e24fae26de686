// node scripts/summary-shot.ts [out-dir]: renders the job summary of real runs against the local AWS test bed, the
// way a user sees it on GitHub, and screenshots it with headless Chromium (Debian's `chromium`).
//
// It runs the engine from src/ (not dist/), so that a change to src/action/summary.ts shows before the bundles are
// rebuilt: a first publish, a change of one file, a no-op and a dry run. Each summary is written through
// GITHUB_STEP_SUMMARY exactly as the action writes it, wrapped in GitHub-like HTML and CSS, and saved as
// <out-dir>/<n>-<name>.html and .png.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { registerHooks } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as core from '@actions/core';

// src/ imports its siblings as '.js' (for the bundler and tsc); run them from the '.ts' sources.
registerHooks({
  resolve(specifier, context, next) {
    if (specifier.startsWith('.') && specifier.endsWith('.js') && context.parentURL?.startsWith('file:')) {
      const candidate = new URL(specifier.replace(/\.js$/, '.ts'), context.parentURL);
      if (fs.existsSync(fileURLToPath(candidate))) return next(candidate.href, context);
    }
    return next(specifier, context);
  },
});
const { writeSummary } = await import('../src/action/summary.ts');
const { loadConfig, silentReporter, sync } = await import('../src/index.ts');
const { startLocalAws } = await import('../testbed/client.ts');

const ROOT = path.resolve(import.meta.dirname, '..');
const out = path.resolve(process.argv[2] ?? path.join(os.tmpdir(), 'efsync-summary'));
fs.mkdirSync(out, { recursive: true });

const CSS = `
body { margin: 0; background: #f6f8fa; font: 14px/1.5 -apple-system, BlinkMacSystemFont, "Segoe UI", "Noto Sans",
  Helvetica, Arial, sans-serif, "Apple Color Emoji", "Segoe UI Emoji", "Noto Color Emoji"; color: #1f2328; }
.box { max-width: 1012px; margin: 24px auto; background: #fff; border: 1px solid #d1d9e0; border-radius: 6px; }
.box > header { padding: 12px 16px; border-bottom: 1px solid #d1d9e0; font-weight: 600; }
.markdown-body { padding: 16px 32px 24px; }
h2 { font-size: 1.5em; border-bottom: 1px solid #d1d9e0b3; padding-bottom: .3em; margin: 24px 0 16px; }
h3 { font-size: 1.25em; margin: 24px 0 16px; }
p, table, pre, details { margin: 0 0 16px; }
table { border-collapse: collapse; display: block; width: max-content; max-width: 100%; overflow: auto; }
th, td { border: 1px solid #d1d9e0; padding: 6px 13px; }
th { font-weight: 600; }
tr:nth-child(2n) { background: #f6f8fa; }
code { font: 85% ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, monospace; background: #818b981f;
  padding: .2em .4em; border-radius: 6px; }
pre { font: 85% ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #f6f8fa; padding: 16px;
  border-radius: 6px; overflow: auto; }
pre code { background: none; padding: 0; }
summary { cursor: pointer; }
`;

function page(title: string, summary: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title><style>${CSS}</style></head>
<body><div class="box"><header>publish-to-efs summary</header><div class="markdown-body">${summary}</div></div>
<script>for (const d of document.querySelectorAll('details')) d.open = true;</script></body></html>`;
}

function screenshot(html: string, png: string): void {
  execFileSync(
    'chromium',
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      `--user-data-dir=${fs.mkdtempSync(path.join(os.tmpdir(), 'efsync-chromium-'))}`,
      `--screenshot=${png}`,
      '--window-size=1200,1000',
      `file://${html}`,
    ],
    { stdio: 'ignore' },
  );
}

const aws = await startLocalAws(['--online-delay-ms', '500']);
try {
  const { info } = aws;
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'efsync-shot-ws-'));
  fs.cpSync(path.join(ROOT, 'examples/model'), path.join(workspace, 'model'), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'examples/requirements.txt'), path.join(workspace, 'requirements.txt'));
  const wheels = fs.mkdtempSync(path.join(os.tmpdir(), 'efsync-shot-wheels-'));
  execFileSync('python3', [
    path.join(ROOT, 'scripts/make-wheels.py'),
    wheels,
    'efsync-demo-greeting==1.0:efsync-demo-words>=1',
    'efsync-demo-words==1.2',
  ]);
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: info.endpoint,
    AWS_REGION: info.region,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    GITHUB_REPOSITORY: 'efsync-test/efsync-action',
  });
  const inputs = {
    'aws-region': info.region,
    'file-system-id': info.fileSystemId,
    'access-point-id': info.accessPointId,
    'security-group-ids': info.instanceSecurityGroupId,
    'instance-type': 't3.small',
    'staging-bucket': info.stagingBucket,
    requirements: 'requirements.txt',
    'python-version': '3.12',
    'pip-args': `--no-index --find-links ${wheels}`,
    'local-dir': 'model',
    's3-source': `s3://${info.sourceBucket}/${info.sourcePrefix}`,
  };
  const runs: [string, Record<string, string>, () => void][] = [
    ['first-publish', {}, () => undefined],
    ['one-file-changed', {}, () => fs.appendFileSync(path.join(workspace, 'model/labels.txt'), 'very positive\n')],
    ['no-op', {}, () => undefined],
    ['dry-run', { 'dry-run': 'true' }, () => fs.rmSync(path.join(workspace, 'model/labels.txt'))],
  ];
  let n = 0;
  for (const [name, extra, before] of runs) {
    before();
    const { config } = loadConfig({ ...inputs, ...extra }, { workspace });
    const result = await sync(config, silentReporter);
    // @actions/core keeps the summary file it first saw: one file, emptied before each run, copied after.
    const file = path.join(out, 'step-summary.html');
    fs.writeFileSync(file, '');
    process.env.GITHUB_STEP_SUMMARY = file;
    core.summary.emptyBuffer();
    await writeSummary(result);
    fs.copyFileSync(file, path.join(out, `${++n}-${name}.summary.html`));
    const html = path.join(out, `${n}-${name}.html`);
    fs.writeFileSync(html, page(name, fs.readFileSync(file, 'utf8')));
    screenshot(html, path.join(out, `${n}-${name}.png`));
    console.log(`${name}: ${fs.statSync(file).size} bytes of summary -> ${html.replace(/html$/, 'png')}`);
  }
} finally {
  await aws.stop();
}
