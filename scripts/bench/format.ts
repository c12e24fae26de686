// How the bench prints its figures: seconds, sizes, ratios, and Markdown tables.
/** Seconds: two decimals under 10, one above; a dash for none. */
export const s = (n: number | undefined) =>
  n === undefined || !Number.isFinite(n) ? '–' : n < 10 ? n.toFixed(2) : n.toFixed(1);
export const mb = (n: number) =>
  n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${(n / 1e3).toFixed(1)} kB`;
export const x = (n: number) => `${n.toFixed(n < 10 ? 2 : 1)}×`;

export function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length))) ?? [];
  const line = (row: string[]) => `| ${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(rows[0] ?? []), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join(
    '\n',
  );
}

/** A scenario's wall time and phases, as the tables print them. */
export const phaseCells = (f: { wallSeconds: number; phases: Record<Phase, number> }) => [
  s(f.wallSeconds),
  ...PHASES.map((phase) => s(f.phases[phase])),
];
/** The headers of phaseCells' columns: `first` (the wall or modeled time), then the phases. */
export const phaseHeaders = (first: string): string[] => [first, ...PHASES];
type Phase = 'plan' | 'stage' | 'instance' | 'remote' | 'cleanup';
const PHASES: Phase[] = ['plan', 'stage', 'instance', 'remote', 'cleanup'];
