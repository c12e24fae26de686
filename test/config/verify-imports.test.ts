// verify-imports and verify-imports-skip: strict values, module names, and `true` only where the writer function runs.
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/validate.js';
import { INPUTS } from '../fixtures/inputs.ts';
import { load, loadError } from '../support/config.ts';

const { DEPS } = INPUTS;
const WRITER = { 'writer-function': 'efsync-writer' };

describe('verify-imports', () => {
  it('is auto by default, and takes auto or a strict boolean', () => {
    expect(load(DEPS).config.deps).toMatchObject({ verifyImports: 'auto', verifyImportsSkip: [] });
    expect(load({ ...DEPS, 'verify-imports': 'false' }).config.deps?.verifyImports).toBe(false);
    expect(load({ ...DEPS, ...WRITER, 'verify-imports': 'True' }).config.deps?.verifyImports).toBe(true);
    expect(loadError({ ...DEPS, 'verify-imports': 'yes' })).toContain(
      "Input 'verify-imports': 'yes' is not auto, true or false. Write one of them.",
    );
  });

  it.each([
    [{ engine: 'instance', ...WRITER }, "input 'engine' is instance, and an instance never imports the release"],
    [{}, "input 'writer-function' is empty"],
  ])('true is refused before any AWS call when the job cannot run in the function: %j', (inputs, why) => {
    expect(loadError({ ...DEPS, ...inputs, 'verify-imports': 'true' })).toContain(
      `Input 'verify-imports': true needs the writer function: ${why}`,
    );
  });

  it('true goes with the writer function under engine auto or lambda, through an access point too', () => {
    for (const engine of ['auto', 'lambda'])
      expect(load({ ...DEPS, ...WRITER, engine, 'verify-imports': 'true' }).config.deps?.verifyImports).toBe(true);
    const viaAccessPoint = {
      ...DEPS,
      ...WRITER,
      'access-point-id': 'fsap-0123456789abcdef0',
      'verify-imports': 'true',
    };
    expect(load(viaAccessPoint).config.deps?.verifyImports).toBe(true);
  });

  it('a Config built by hand may leave it out, and is refused with another value', () => {
    const { config } = load(DEPS);
    if (!config.deps) throw new Error('no deps');
    delete config.deps.verifyImports;
    delete config.deps.verifyImportsSkip;
    expect(() => validateConfig(config, (name) => `option '${name}'`)).not.toThrow();
    (config.deps as { verifyImports: unknown }).verifyImports = 'always';
    expect(() => validateConfig(config, (name) => `option '${name}'`)).toThrow(
      "Option 'verify-imports': 'always' is not auto, true or false.",
    );
  });
});

describe('verify-imports-skip', () => {
  it('takes module names, dotted inside a namespace package, with commas or newlines', () => {
    const { config } = load({ ...DEPS, 'verify-imports-skip': 'yaml,\n google.protobuf, _cffi_backend' });
    expect(config.deps?.verifyImportsSkip).toEqual(['yaml', 'google.protobuf', '_cffi_backend']);
  });

  it.each(['PyYAML-6', 'google..protobuf', '1abc', 'numpy/core', 'x$(id)', '.hidden'])('refuses %s', (name) => {
    expect(loadError({ ...DEPS, 'verify-imports-skip': `numpy, ${name}` })).toContain(
      `Input 'verify-imports-skip': '${name}' is not a Python module name. Write the name you import, not the one you install (yaml for PyYAML)`,
    );
  });
});
