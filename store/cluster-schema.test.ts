import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../testing/index.ts';
import { generateClusterSchema, LOCAL_SUFFIX, onCluster, type ClusterStatement } from './cluster-schema.ts';
import { EmbeddedStore } from './embedded-store.ts';
import { loadMigrations, migrate, type Migration } from './migrations.ts';

// No current ClickHouse server runs here: each generated statement is parsed by ClickHouse's own
// parser (chDB's formatQuery), and its "declustered" form (no ON CLUSTER, the Replicated engine's
// plain family) is created in a database of its own beside the embedded schema, to compare the two
// column for column, key for key, and by the rows their views give for the same events.
const CLUSTER = 'aifi_cluster';
const DB = 'aifi_nodes';

const decluster = (sql: string) =>
  sql
    .replace(` ON CLUSTER '${CLUSTER}'`, '')
    .replace(/ENGINE = Replicated([A-Za-z]*MergeTree)\('[^']*', '\{replica\}'(?:, )?/, 'ENGINE = $1(')
    .replace(/ENGINE = ([A-Za-z]*MergeTree)\(\)/, 'ENGINE = $1');

let statements: ClusterStatement[];
let withExtra: ClusterStatement[];
let dir: ReturnType<typeof tempDir>;
let store: EmbeddedStore;

beforeAll(async () => {
  statements = await generateClusterSchema({ cluster: CLUSTER, database: DB });
  // A migration added later (as 0009 onward are) is covered without touching the generator.
  const extra: Migration = {
    version: 9999,
    name: '9999_later',
    statements: [
      'CREATE TABLE IF NOT EXISTS later_weekly (hospital LowCardinality(String), week Date, n UInt32, computed_at DateTime64(3, \'UTC\')) ENGINE = ReplacingMergeTree(computed_at) ORDER BY (hospital, week)',
      "ALTER TABLE events ADD COLUMN IF NOT EXISTS later_field String DEFAULT ''",
    ],
  };
  withExtra = await generateClusterSchema({ cluster: CLUSTER, database: DB }, [...loadMigrations(), extra]);
  dir = tempDir('cluster-schema');
  store = new EmbeddedStore({ path: dir.path });
  await migrate(store);
  await store.exec(`CREATE DATABASE ${DB}`);
}, 180_000);

afterAll(async () => {
  await store?.close();
  dir?.remove();
});

const columnsOf = (database: string, table: string) =>
  store.query<Record<string, unknown>>(
    `SELECT name, type, default_kind, default_expression, compression_codec, position FROM system.columns
     WHERE database = {d:String} AND table = {t:String} ORDER BY position`,
    { d: database, t: table },
  );
const keysOf = async (database: string, table: string) =>
  (
    await store.query<Record<string, string>>(
      `SELECT replaceRegexpOne(engine, '^Replicated', '') AS engine, sorting_key, partition_key, primary_key,
              replaceRegexpOne(engine_full, '^.*?\\) ', '') AS clauses
       FROM system.tables WHERE database = {d:String} AND name = {t:String}`,
      { d: database, t: table },
    )
  )[0];

describe('aifi migrate --cluster: the schema of a ClickHouse cluster', () => {
  it('parses, statement by statement, with ClickHouse’s own parser', async () => {
    expect(statements.length).toBeGreaterThan(40);
    for (const s of statements) {
      const [formatted] = await store.query<{ f: string }>('SELECT formatQuery({q:String}) AS f', { q: s.sql });
      expect(formatted!.f, s.name).toContain(`ON CLUSTER ${CLUSTER}`);
    }
    // The parser is a real check: a column list left open does not parse.
    await expect(store.query('SELECT formatQuery({q:String})', { q: statements[0]!.sql.replace(') ENGINE', ' ENGINE') })).rejects.toThrow(/Syntax error/);
  });

  it('has every table of the embedded schema, sharded by hospital or kept whole, with the same columns and keys', async () => {
    const embedded = await store.query<{ name: string; engine: string; has_hospital: number }>(
      `SELECT name, engine, toUInt8(has(groupArray(c.name), 'hospital')) AS has_hospital
       FROM system.tables AS t LEFT JOIN system.columns AS c ON c.database = t.database AND c.table = t.name
       WHERE t.database = 'default' GROUP BY name, engine ORDER BY name`,
    );
    const tables = embedded.filter((t) => t.engine.endsWith('MergeTree'));
    expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['events', 'lifecycle', 'study_cases', 'schema_migrations']));
    // Tables first, then the views over them, then the materialized views that write to them.
    for (const s of statements.filter((s) => s.role === 'sharded' || s.role === 'whole' || s.role === 'view')) await store.exec(decluster(s.sql));
    for (const t of tables) {
      const role = Number(t.has_hospital) ? 'sharded' : 'whole';
      const node = role === 'sharded' ? t.name + LOCAL_SUFFIX : t.name;
      const local = statements.find((s) => s.name === node)!;
      expect(local?.role, t.name).toBe(role);
      expect(local.sql).toContain(`ENGINE = Replicated${t.engine}(`);
      expect(local.sql).toContain(role === 'sharded' ? "'/clickhouse/tables/{shard}/{database}/" : "'/clickhouse/tables/whole/{database}/");
      expect(await columnsOf(DB, node), t.name).toEqual(await columnsOf('default', t.name));
      expect(await keysOf(DB, node), t.name).toEqual(await keysOf('default', t.name));
      if (role === 'sharded') {
        const dist = statements.find((s) => s.name === t.name && s.role === 'distributed')!;
        expect(dist.sql).toContain(`ENGINE = Distributed('${CLUSTER}', '${DB}', '${node}', cityHash64(hospital))`);
        const [a] = await store.query<{ f: string }>('SELECT formatQuery({q:String}) AS f', { q: dist.sql });
        const [b] = await store.query<{ f: string }>('SELECT formatQuery({q:String}) AS f', { q: local.sql });
        const columnLines = (f: string) => f.slice(f.indexOf('('), f.indexOf('\n)') + 2);
        expect(columnLines(a!.f), t.name).toBe(columnLines(b!.f));
      } else {
        expect(statements.some((s) => s.name === t.name && s.role === 'distributed')).toBe(false);
      }
    }
    for (const v of embedded.filter((t) => t.engine === 'View')) {
      expect(await columnsOf(DB, v.name + LOCAL_SUFFIX), v.name).toEqual(await columnsOf('default', v.name));
      expect(statements.find((s) => s.name === v.name)?.sql).toContain(`ENGINE = Distributed('${CLUSTER}', '${DB}', '${v.name}${LOCAL_SUFFIX}')`);
    }
    const mvs = embedded.filter((t) => t.engine === 'MaterializedView').map((t) => t.name);
    expect(statements.filter((s) => s.role === 'materialized-view').map((s) => s.name).sort()).toEqual(mvs.sort());
  });

  it('feeds each shard’s lifecycle from its own events, as the embedded schema does', async () => {
    for (const s of statements.filter((s) => s.role === 'materialized-view')) {
      expect(s.sql).toContain(`FROM ${DB}.events${LOCAL_SUFFIX}`);
      await store.exec(decluster(s.sql));
    }
    const row = (i: number, type: string, extra: string) =>
      `(generateUUIDv4(), 1, '${type}', toDateTime64('2026-03-0${1 + (i % 5)} 10:0${i % 10}:00', 3, 'UTC'), 'H${i % 3}', 'test', '', 'study-${i}', ${extra}, '{}')`;
    const values = Array.from({ length: 30 }, (_, i) => [
      row(i, 'study.received', "''"),
      row(i, 'inference.completed', "'bonexpert'"),
    ]).flat();
    for (const db of ['default', DB]) {
      const events = db === 'default' ? 'default.events' : `${DB}.events${LOCAL_SUFFIX}`;
      await store.exec(`INSERT INTO ${events} (event_id, schema_version, type, occurred_at, hospital, source, trace_id, study_key, product, payload) VALUES ${values.join(', ')}`);
    }
    const view = (name: string) => store.query(`SELECT * EXCEPT (failures, viewers) FROM ${name} ORDER BY hospital, study_key, product`);
    const embedded = await view('default.study_product_lifecycle');
    expect(embedded).toHaveLength(30);
    expect(await view(`${DB}.study_product_lifecycle${LOCAL_SUFFIX}`)).toEqual(embedded);
  });

  it('runs no single-engine migration on a cluster, and says what to run instead', async () => {
    const clustered = Object.create(store, { cluster: { value: 'c1' } }) as EmbeddedStore;
    const all = loadMigrations();
    expect(await migrate(clustered)).toEqual({ applied: [], current: all.at(-1)!.version });
    await expect(migrate(clustered, all, 'fresh_ledger')).rejects.toThrow(`lacks ${all.map((m) => m.name).join(', ')}`);
    await expect(migrate(clustered, all, 'fresh_ledger')).rejects.toThrow(/run {2}aifi migrate --cluster c1/);
    expect(await store.query("SELECT name FROM system.tables WHERE name = 'fresh_ledger'")).toEqual([]);
  });

  it('covers a migration added later without a change to the generator', () => {
    expect(statements.some((s) => s.name.startsWith('later_'))).toBe(false);
    const later = withExtra.filter((s) => s.name.startsWith('later_weekly'));
    expect(later.map((s) => s.role).sort()).toEqual(['distributed', 'sharded']);
    const events = withExtra.filter((s) => s.name === 'events' || s.name === `events${LOCAL_SUFFIX}`);
    expect(events).toHaveLength(2);
    for (const s of events) expect(s.sql).toContain("`later_field` String DEFAULT ''");
    // What an upgrade of an older cluster adds, on the share and on the Distributed table.
    for (const s of events) expect(s.columns.at(-1)).toBe("`later_field` String DEFAULT ''");
    expect(withExtra.find((s) => s.name === 'study_product_lifecycle')!.columns.length).toBeGreaterThan(30);
  });
});

describe('a statement the analytics send, on a cluster', () => {
  it('truncates the shares of a Distributed table on every node, a whole table itself, and leaves the rest alone', () => {
    const distributed = new Set(['study_cases', 'dirty_studies']);
    expect(onCluster('TRUNCATE TABLE study_cases', 'c1', distributed)).toBe("TRUNCATE TABLE study_cases_local ON CLUSTER 'c1'");
    expect(onCluster('TRUNCATE TABLE analytics_state', 'c1', distributed)).toBe("TRUNCATE TABLE analytics_state ON CLUSTER 'c1'");
    const insert = 'INSERT INTO study_cases SELECT * FROM study_cases_refresh';
    expect(onCluster(insert, 'c1', distributed)).toBe(insert);
  });
});
