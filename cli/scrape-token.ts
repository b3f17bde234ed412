import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError } from '../config/index.ts';

/**
 * The bearer token Prometheus presents to scrape /metrics
 * (`authorization: { credentials_file: … }` in its scrape config). The file
 * holds the token on one line; the default file is made on first start
 * (mode 0600).
 */
export class ScrapeToken {
  private constructor(
    readonly token: string,
    private readonly digest: Buffer,
  ) {}

  static fromFile(path: string, generate: boolean): ScrapeToken {
    if (generate && !existsSync(path)) {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      writeFileSync(path, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600 });
    }
    let token: string;
    try {
      token = readFileSync(path, 'utf8').trim();
    } catch (error) {
      throw new ConfigError(`cannot read the metrics scrape token file ${path}: ${(error as Error).message}`);
    }
    if (token.length < 16 || /\s/.test(token)) throw new ConfigError(`the metrics scrape token in ${path} must be one word of at least 16 characters`);
    return new ScrapeToken(token, sha256(token));
  }

  /** Whether an `Authorization: Bearer …` header carries the token (compared in constant time). */
  admits(authorization: string | undefined): boolean {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    return m !== null && timingSafeEqual(sha256(m[1]!), this.digest);
  }
}

const sha256 = (s: string) => createHash('sha256').update(s).digest();
