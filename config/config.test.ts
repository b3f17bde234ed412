import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './index.ts';

describe('configuration', () => {
  it('runs the embedded mode untouched', () => {
    const config = loadConfig({});
    expect(config.store).toEqual({ kind: 'embedded', path: './.aifi/clickhouse' });
    expect(config.kafka).toBeNull();
    expect(config.http).toEqual({ host: '127.0.0.1', port: 8080, trustProxy: [], tls: null });
    expect(config.dicom).toEqual({ host: '127.0.0.1', port: 11112, aeTitle: 'AIFI' });
    expect(config.analytics).toEqual({ implausibleMinutes: 7 * 24 * 60 });
  });

  it('switches to the distributed mode when a ClickHouse URL and Kafka brokers are set', () => {
    const config = loadConfig({
      AIFI_CLICKHOUSE_URL: 'http://127.0.0.1:8123',
      AIFI_CLICKHOUSE_DATABASE: 'aifi',
      AIFI_KAFKA_BROKERS: '127.0.0.1:9092, 127.0.0.1:9093',
    });
    expect(config.store).toEqual({ kind: 'server', url: 'http://127.0.0.1:8123', user: 'default', password: '', database: 'aifi' });
    expect(config.kafka).toEqual({ brokers: ['127.0.0.1:9092', '127.0.0.1:9093'], topic: 'aifi.events' });
    expect(config.collector.writeAttempts).toBe(8);
    const shorter = loadConfig({ AIFI_KAFKA_BROKERS: '127.0.0.1:9092', AIFI_KAFKA_SESSION_MS: '12000', AIFI_COLLECTOR_WRITE_ATTEMPTS: '4' });
    expect([shorter.kafka?.sessionMs, shorter.collector.writeAttempts]).toEqual([12_000, 4]);
  });

  it('fails at start naming every bad value and contradiction', () => {
    const attempt = () => loadConfig({ AIFI_PORT: 'eighty', AIFI_CLICKHOUSE_PASSWORD: 'secret', AIFI_CLICKHOUSE_URL: '' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/AIFI_PORT/);
    expect(attempt).toThrow(/AIFI_CLICKHOUSE_PASSWORD: is set but AIFI_CLICKHOUSE_URL is not/);
    expect(() => loadConfig({ AIFI_CLICKHOUSE_URL: 'ftp://x' })).toThrow(/AIFI_CLICKHOUSE_URL: must be an http\(s\) URL/);
    expect(() => loadConfig({ AIFI_KAFKA_SESSION_MS: '1000' })).toThrow(/AIFI_KAFKA_SESSION_MS/);
    expect(() => loadConfig({ AIFI_COLLECTOR_WRITE_ATTEMPTS: '0' })).toThrow(/AIFI_COLLECTOR_WRITE_ATTEMPTS/);
    expect(() => loadConfig({ AIFI_COLLECTOR_QUEUE_ROWS: '100' })).toThrow(/AIFI_COLLECTOR_QUEUE_ROWS: must be at least AIFI_COLLECTOR_BATCH_ROWS/);
    expect(() => loadConfig({ AIFI_COLLECTOR_URL: 'http://127.0.0.1:1' })).toThrow(/AIFI_COLLECTOR_TOKEN: is required/);
    expect(loadConfig({ AIFI_TURNAROUND_MAX_MINUTES: '2880' }).analytics).toEqual({ implausibleMinutes: 2880 });
    expect(() => loadConfig({ AIFI_TURNAROUND_MAX_MINUTES: '-5' })).toThrow(/AIFI_TURNAROUND_MAX_MINUTES/);
    expect(() => loadConfig({ AIFI_TURNAROUND_MAX_MINUTES: 'a week' })).toThrow(/AIFI_TURNAROUND_MAX_MINUTES/);
  });
});
