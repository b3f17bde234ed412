import { EmbeddedStore } from './embedded-store.ts';
import { ServerStore } from './server-store.ts';
import type { QueryLimits } from './read-only-query.ts';
import type { Store } from './store.ts';

export { EmbeddedStore, type EmbeddedStoreOptions } from './embedded-store.ts';
export { ServerStore, type ServerStoreOptions } from './server-store.ts';
export { migrate, schemaVersion, loadMigrations, splitStatements, MigrationError, type Migration, type MigrationReport } from './migrations.ts';
export { StoreError, classifyStoreError, toJsonEachRow, tabSeparatedLine, type Store, type StoreErrorKind, type Row, type Params } from './store.ts';

export { rowBinaryWriter, RowBinaryBuffer, type ColumnType, type RowBinaryWriter } from './row-binary.ts';

export { generateClusterSchema, migrateCluster, onCluster, LOCAL_SUFFIX, type ClusterStatement, type ClusterSchemaOptions } from './cluster-schema.ts';
export { checkReadOnlyStatement, readOnlyQueryText, type QueryLimits } from './read-only-query.ts';

export type StoreConfig =
  | { kind: 'embedded'; path: string }
  | { kind: 'server'; url: string; user: string; password: string; database: string; cluster?: string };

/** Opens the configured store; `readonly` makes the engine refuse every write, `limits` bound every query. */
export async function openStore(config: StoreConfig, options: { readonly?: boolean; limits?: QueryLimits } = {}): Promise<Store> {
  if (config.kind === 'embedded') return new EmbeddedStore({ path: config.path, readonly: options.readonly, limits: options.limits });
  const store = new ServerStore({ ...config, readonly: options.readonly, limits: options.limits });
  if (!options.readonly) await store.ensureDatabase();
  return store;
}
