/** Numbers as a person reads them in the log and the summary. Pure. */

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** Mebibytes with one decimal, for progress lines. */
export function mib(n: number): string {
  return (n / 1048576).toFixed(1);
}
