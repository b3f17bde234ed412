import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(new URL(import.meta.url).pathname), '..');
const SKIP = new Set(['node_modules', '.git', '.aifi', 'test-results', 'deploy']);

/** Every TypeScript file of the project, relative to its root. */
function sources(dir = ROOT): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.isDirectory()) return SKIP.has(e.name) ? [] : sources(join(dir, e.name));
    return e.name.endsWith('.ts') ? [relative(ROOT, join(dir, e.name))] : [];
  });
}

/** The project files a source imports or re-exports from, type-only imports included: a circle of types is still a circle for a reader. */
function importsOf(file: string, text: string): string[] {
  const specifiers = [...text.matchAll(/^(?:import|export)\s[^;]*?from\s+'(\.{1,2}\/[^']+)'/gms)].map((m) => m[1]!);
  return specifiers.map((s) => normalize(join(dirname(file), s)));
}

/** The import circles of a graph: its strongly connected components of more than one file, or a file importing itself (Tarjan). */
function circles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe('the import graph', () => {
  it('finds a circle where there is one, type imports included', () => {
    const files = {
      'a/index.ts': "import { b } from '../b/index.ts';\nexport const a = 1;",
      'b/index.ts': "import type { C } from './c.ts';\nexport const b = 2;",
      'b/c.ts': "export type C = number;\nexport { a } from '../a/index.ts';",
      'd.ts': "import { a } from './a/index.ts';",
    };
    const graph = new Map(Object.entries(files).map(([f, t]) => [f, importsOf(f, t)]));
    expect(circles(graph)).toEqual([['a/index.ts', 'b/c.ts', 'b/index.ts']]);
  });

  it('has no circle in the project', () => {
    const files = sources();
    expect(files.length).toBeGreaterThan(100);
    const graph = new Map(files.map((f) => [f, importsOf(f, readFileSync(join(ROOT, f), 'utf8'))]));
    // Every relative import names a file that exists, so that no edge is missed by a wrong path.
    for (const [file, imports] of graph) for (const i of imports) expect(graph.has(i) || i.endsWith('.mjs') || i.endsWith('.js') || i.endsWith('.json'), `${file} imports ${i}`).toBe(true);
    expect(circles(graph)).toEqual([]);
  });
});
