import { join } from 'node:path';
import { EmbeddedStore, migrate, type Store } from '../store/index.ts';
import { tempDir } from './services.ts';

/** An embedded store in a fresh folder, migrated; `close` closes it and removes the folder. */
export async function migratedStore(prefix: string): Promise<{ store: EmbeddedStore; close: () => Promise<void> }> {
  const dir = tempDir(prefix);
  const store = new EmbeddedStore({ path: join(dir.path, 'clickhouse') });
  await migrate(store);
  return {
    store,
    close: async () => {
      await store.close();
      dir.remove();
    },
  };
}

/** Empties every table of the schema (not the migration ledger), for a test that loads data afresh. */
export async function emptyStore(store: Store): Promise<void> {
  const tables = await store.query<{ name: string }>(
    "SELECT name FROM system.tables WHERE database = currentDatabase() AND engine LIKE '%MergeTree' AND name != 'schema_migrations'",
  );
  for (const { name } of tables) await store.exec(`TRUNCATE TABLE ${name}`);
}
