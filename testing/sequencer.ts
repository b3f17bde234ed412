import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The order the suite starts its files in: the longest first, so that the workers end together
 * rather than one of them starting a long file when the others are nearly done. A file's length
 * is vitest's own record of its last run here when there is one (node_modules/.vite), else its
 * time in the CI run recorded in testing/file-durations.json (a clean clone has no record), else
 * unknown: unknown files go first, as vitest's own order puts them.
 */
const RECORDED: Record<string, number> = (JSON.parse(readFileSync(new URL('./file-durations.json', import.meta.url), 'utf8')) as { ms: Record<string, number> }).ms;

export class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const length = (spec: TestSpecification): number => {
      const path = relative(root, spec.moduleId);
      const cached = this.ctx.cache.getFileTestResults(`${spec.project.name}:${path}`)?.duration;
      return cached ?? RECORDED[path] ?? Number.MAX_SAFE_INTEGER;
    };
    return [...files].sort((a, b) => length(b) - length(a));
  }
}
