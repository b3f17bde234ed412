import { readFileSync } from 'node:fs';
import type { z } from 'zod';

/** A setting or a configuration file that is wrong: the message names each problem; no stack trace is needed. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Reads a JSON configuration file and validates it; the error names the file and each bad field. */
export function readJsonFile<S extends z.ZodType>(path: string, schema: S, what: string): z.infer<S> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`cannot read the ${what} ${path}: ${(error as Error).message}`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`invalid ${what} ${path}:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** Reads a file a setting names (a certificate, a key); the error names the setting and the file. */
export function readSettingFile(path: string, setting: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new ConfigError(`${setting}: cannot read ${path}: ${(error as Error).message}`);
  }
}
