// The layers of src/ and the rules between them, read from the import and export-from statements of each file.
import fs from 'node:fs';
import path from 'node:path';

/** One import of one src file by another, as paths relative to src/. */
export interface Edge {
  from: string;
  to: string;
}

export type Layer = 'core' | 'config' | 'plan' | 'aws' | 'remote' | 'run' | 'action' | 'cli' | 'api';

/**
 * The library layers, lowest first: each imports only from the layers before it. core is shared data; config reads
 * the user's settings; plan works out what changes; aws holds what every engine shares (clients, credentials,
 * errors); remote is the seam behind which the work runs away from the runner (preflight, executors, the agent's
 * protocol, teardown); run is the engine over them.
 */
const ORDER: Layer[] = ['core', 'config', 'plan', 'aws', 'remote', 'run'];
/** The adapters, on top: each drives the engine for one kind of caller, and none knows another. */
const ADAPTERS: Layer[] = ['action', 'cli', 'api'];
/** Entry files at the top of src/, and the adapter they start. */
const ENTRIES: Record<string, Layer> = { 'main.ts': 'action', 'post.ts': 'action', 'cli.ts': 'cli', 'index.ts': 'api' };

/** The layer of a file (a path relative to src/), or undefined for a file or folder no rule knows. */
export function layerOf(file: string): Layer | undefined {
  const [top, ...rest] = file.split('/');
  if (rest.length === 0) return ENTRIES[top ?? ''];
  const layers: readonly string[] = [...ORDER, 'action', 'cli'];
  return layers.includes(top ?? '') ? (top as Layer) : undefined;
}

/** Why an edge breaks the layering, or undefined when it is allowed. */
export function violation({ from, to }: Edge): string | undefined {
  const source = layerOf(from);
  const target = layerOf(to);
  if (source === undefined) return `${from} is in no known layer`;
  if (target === undefined) return `${to} is in no known layer`;
  if (source === target) return undefined;
  if (source === 'core') return 'core imports nothing from another layer';
  if (ADAPTERS.includes(source) && ADAPTERS.includes(target))
    return `adapter ${source} must not import adapter ${target}`;
  if (ADAPTERS.includes(target)) return `${source} must not import an adapter (${target})`;
  if (ADAPTERS.includes(source)) return undefined;
  if (ORDER.indexOf(target) > ORDER.indexOf(source)) return `${source} must not import ${target}, a layer above it`;
  return undefined;
}

/**
 * The import cycles among files, each as its files in order (Tarjan's strongly connected components): a cycle is two
 * modules that cannot be understood, tested or moved one without the other, even within one layer.
 */
export function cycles(edges: Edge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const { from, to } of edges) next.set(from, [...(next.get(from) ?? []), to]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (file: string) => {
    index.set(file, index.size);
    low.set(file, index.get(file) ?? 0);
    stack.push(file);
    for (const to of next.get(file) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(file, Math.min(low.get(file) ?? 0, low.get(to) ?? 0));
      } else if (stack.includes(to)) low.set(file, Math.min(low.get(file) ?? 0, index.get(to) ?? 0));
    }
    if (low.get(file) !== index.get(file)) return;
    const component: string[] = [];
    for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
      component.push(top);
      if (top === file) break;
    }
    if (component.length > 1 || next.get(file)?.includes(file)) found.push(component.sort());
  };
  for (const file of [...next.keys()].sort()) if (!index.has(file)) visit(file);
  return found;
}

/** Every edge that breaks the layering, as 'from -> to: why' lines. */
export function violations(edges: Edge[]): string[] {
  return edges.flatMap((edge) => {
    const why = violation(edge);
    return why ? [`${edge.from} -> ${edge.to}: ${why}`] : [];
  });
}

// `import … from '…'` and `export … from '…'` (with `type`, and across lines), a bare `import '…'`, and `import('…')`.
const SPECIFIERS = [
  /^\s*(?:import|export)\s[^;]*?\bfrom\s*['"]([^'"]+)['"]/gm,
  /^\s*import\s*['"]([^'"]+)['"]/gm,
  /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
];

/** The module specifiers a source text imports or re-exports. */
export function specifiers(source: string): string[] {
  return SPECIFIERS.flatMap((pattern) => [...source.matchAll(pattern)].map((match) => match[1] ?? ''));
}

/** Every .ts file under `dir`, relative to it, with '/' separators. */
export function sourceFiles(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((file) => file.endsWith('.ts'))
    .map((file) => file.split(path.sep).join('/'))
    .sort();
}

/** The imports between files of `srcDir`; relative specifiers are resolved, '.js' stands for the '.ts' file. */
export function importEdges(srcDir: string): Edge[] {
  const edges: Edge[] = [];
  for (const file of sourceFiles(srcDir)) {
    const source = fs.readFileSync(path.join(srcDir, file), 'utf8');
    for (const specifier of specifiers(source)) {
      if (!specifier.startsWith('.')) continue;
      const resolved = path.relative(srcDir, path.resolve(srcDir, path.dirname(file), specifier));
      if (resolved.startsWith('..')) continue; // outside src/, e.g. package.json
      edges.push({ from: file, to: resolved.split(path.sep).join('/').replace(/\.js$/, '.ts') });
    }
  }
  return edges;
}
