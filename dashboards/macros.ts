/**
 * Expands the grafana-clickhouse-datasource macros as the plugin does, and the
 * dashboard's template variables, so that panel SQL can be run outside Grafana
 * (tests, the built-in view). Times are epoch seconds.
 */
export function expandMacros(sql: string, context: { from: Date; to: Date; intervalSeconds?: number; variables?: Record<string, string[]> }): string {
  const from = Math.floor(context.from.getTime() / 1000);
  const to = Math.floor(context.to.getTime() / 1000);
  const interval = context.intervalSeconds ?? 3600;
  let out = sql
    .replace(/\$__timeFilter\(([^)]+)\)/g, (_m, col: string) => `${col.trim()} >= toDateTime(${from}) AND ${col.trim()} <= toDateTime(${to})`)
    .replace(/\$__timeInterval\(([^)]+)\)/g, (_m, col: string) => `toStartOfInterval(toDateTime(${col.trim()}), INTERVAL ${interval} second)`)
    .replace(/\$__fromTime\b/g, `toDateTime(${from})`)
    .replace(/\$__toTime\b/g, `toDateTime(${to})`);
  for (const [name, values] of Object.entries(context.variables ?? {})) {
    const quoted = values.map((v) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`).join(',');
    out = out.replace(new RegExp(`\\$\\{${name}:singlequote\\}`, 'g'), quoted);
  }
  return out;
}
