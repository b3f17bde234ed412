import { readFileSync } from 'node:fs';
import type { z } from 'zod';

/** Reads a JSON configuration file and validates it; the error names the file and each bad field. */
export function readJsonFile<S extends z.ZodType>(path: string, schema: S, what: string): z.infer<S> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read the ${what} ${path}: ${(error as Error).message}`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`invalid ${what} ${path}:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
