import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.ts';
import { tempDir } from '../testing/index.ts';
import { createHttpApp } from './http-app.ts';
import { ScrapeToken } from './scrape-token.ts';

const dir = tempDir('http-app');
afterAll(() => dir.remove());

describe('/metrics', () => {
  it('answers only a scraper with the scrape token, which is made private on first start', async () => {
    const config = loadConfig({ AIFI_DATA_DIR: dir.path, AIFI_LOG_LEVEL: 'silent' });
    const scrape = ScrapeToken.fromFile(config.metrics.tokenFile, config.metrics.generated);
    expect(statSync(config.metrics.tokenFile).mode & 0o777).toBe(0o600);
    expect(ScrapeToken.fromFile(config.metrics.tokenFile, true).token).toBe(scrape.token);
    const app = createHttpApp(config, [], scrape);
    try {
      const get = (authorization?: string) => app.inject({ method: 'GET', url: '/metrics', headers: authorization ? { authorization } : {} });
      for (const wrong of [undefined, 'Bearer nope', `Basic ${scrape.token}`, `Bearer ${scrape.token}x`]) {
        const refused = await get(wrong);
        expect(refused.statusCode, wrong).toBe(401);
        expect(refused.headers['www-authenticate']).toMatch(/^Bearer/);
        expect(refused.body).not.toMatch(/aifi_/);
      }
      const scraped = await get(`Bearer ${scrape.token}`);
      expect(scraped.statusCode).toBe(200);
      expect(scraped.body).toMatch(/process_resident_memory_bytes/);
    } finally {
      await app.close();
    }
  });

  it('refuses to start on a token file that holds no usable token', () => {
    const path = join(dir.path, 'short-token');
    writeFileSync(path, 'short\n');
    expect(() => ScrapeToken.fromFile(path, false)).toThrow(/must be one word of at least 16 characters/);
    expect(() => ScrapeToken.fromFile(join(dir.path, 'missing'), false)).toThrow(/cannot read the metrics scrape token file/);
  });
});
