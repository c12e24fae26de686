/**
 * verify-imports and verify-imports-skip: what they may say, and that `true` can be kept. The check runs in the writer
 * function only (remote/lambda/imports.ts), so a run that cannot use the function cannot promise it.
 */
import type { InputName } from './inputs.js';
import { type Problems, quote } from './problems.js';
import type { Config } from './types.js';

/** A module as `import` names it: identifiers, joined by dots for a module inside a namespace package. */
export const MODULE_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

export function checkVerifyImports(problems: Problems, label: (name: InputName) => string, config: Config): void {
  const deps = config.deps;
  if (!deps) return;
  // A Config built by hand (the API) may leave both out: auto, and nothing skipped.
  const setting: unknown = deps.verifyImports;
  if (setting !== undefined && setting !== 'auto' && typeof setting !== 'boolean')
    problems.add(label('verify-imports'), `${quote(String(setting))} is not auto, true or false. Write one of them.`);
  for (const name of deps.verifyImportsSkip ?? [])
    if (typeof name !== 'string' || !MODULE_NAME.test(name))
      problems.add(
        label('verify-imports-skip'),
        `${quote(String(name))} is not a Python module name. Write the name you import, not the one you install ` +
          '(yaml for PyYAML), e.g. numpy or google.protobuf, separated by commas or newlines.',
      );
  if (setting !== true) return;
  const why =
    config.engine === 'instance'
      ? `${label('engine')} is instance, and an instance never imports the release`
      : !config.fileSystem.writerFunction
        ? `${label('writer-function')} is empty`
        : undefined;
  if (why)
    problems.add(
      label('verify-imports'),
      `true needs the writer function: ${why}. Set writer-function to the template's WriterFunction output with ` +
        'engine auto or lambda, or write verify-imports: auto or false.',
    );
}
