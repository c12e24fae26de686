/**
 * Lambda's Python runtimes: the OS each runs on, and the date AWS ends its support. Dates move; refresh them
 * with each release from the Lambda runtimes page.
 */

export interface PythonRuntime {
  version: string;
  os: 'Amazon Linux 2' | 'Amazon Linux 2023';
  /** The highest glibc of the OS, which bounds the manylinux wheels it can load. */
  glibc: [major: number, minor: number];
  /** ISO date from which AWS no longer supports the runtime. */
  deprecation: string;
}

export const PYTHON_RUNTIMES: readonly PythonRuntime[] = [
  { version: '3.10', os: 'Amazon Linux 2', glibc: [2, 26], deprecation: '2026-10-31' },
  { version: '3.11', os: 'Amazon Linux 2', glibc: [2, 26], deprecation: '2027-06-30' },
  { version: '3.12', os: 'Amazon Linux 2023', glibc: [2, 34], deprecation: '2028-10-31' },
  { version: '3.13', os: 'Amazon Linux 2023', glibc: [2, 34], deprecation: '2029-06-30' },
  { version: '3.14', os: 'Amazon Linux 2023', glibc: [2, 34], deprecation: '2029-06-30' },
];

export function findRuntime(version: string): PythonRuntime | undefined {
  return PYTHON_RUNTIMES.find((runtime) => runtime.version === version);
}

/** A warning for a runtime past its deprecation date on `today`, else undefined. */
export function deprecationWarning(runtime: PythonRuntime, today: Date): string | undefined {
  if (today.toISOString().slice(0, 10) < runtime.deprecation) return undefined;
  const newest = PYTHON_RUNTIMES[PYTHON_RUNTIMES.length - 1]?.version ?? runtime.version;
  return (
    `python${runtime.version} is deprecated on AWS Lambda since ${runtime.deprecation}: functions on it get no ` +
    `security patches and will soon be blocked from updates. Move them to python${newest} and set python-version ` +
    `to '${newest}'.`
  );
}
