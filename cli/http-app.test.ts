import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Registry } from 'prom-client';
import { CollectorMetrics } from '../collector/index.ts';
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

  it("serves a part's own registry added after the start, and two collectors' figures count apart", async () => {
    const config = loadConfig({ AIFI_DATA_DIR: dir.path, AIFI_LOG_LEVEL: 'silent' });
    const scrape = ScrapeToken.fromFile(config.metrics.tokenFile, config.metrics.generated);
    const registries: Registry[] = [];
    const app = createHttpApp(config, [], scrape, registries);
    try {
      const served = new CollectorMetrics();
      const other = new CollectorMetrics();
      registries.push(served.registry);
      served.eventsAccepted.inc({ transport: 'http' }, 3);
      other.eventsAccepted.inc({ transport: 'http' }, 5);
      const body = (await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${scrape.token}` } })).body;
      expect(body).toMatch(/^aifi_collector_events_accepted_total\{transport="http"\} 3$/m);
      expect(body).toMatch(/process_resident_memory_bytes/);
      expect((await other.eventsAccepted.get()).values[0]!.value).toBe(5);
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
