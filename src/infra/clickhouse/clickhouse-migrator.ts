// Applies migrations/clickhouse/*.sql in file-name order and records each in schema_migrations.
// `{db}` in a file stands for the configured database. Statements are separated by lines ending in ';'.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClickHouseClient } from '@clickhouse/client';
import { projectRoot } from '../../common/project-root';

export function clickhouseMigrationsDir(): string {
  return join(projectRoot(), 'migrations', 'clickhouse');
}

export async function migrateClickHouse(
  client: ClickHouseClient,
  database: string,
  dir = clickhouseMigrationsDir(),
): Promise<string[]> {
  const db = `\`${database}\``;
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${db}` });
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${db}.schema_migrations (name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)) ENGINE = MergeTree ORDER BY name`,
  });
  const done = new Set(
    (
      await (
        await client.query({ query: `SELECT name FROM ${db}.schema_migrations`, format: 'JSONEachRow' })
      ).json<{ name: string }>()
    ).map((r) => r.name),
  );
  const applied: string[] = [];
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort();
  for (const file of files) {
    if (done.has(file)) continue;
    const sql = readFileSync(join(dir, file), 'utf8').replaceAll('{db}', db);
    for (const statement of splitStatements(sql)) await client.command({ query: statement });
    await client.insert({
      table: `${db}.schema_migrations`,
      values: [{ name: file }],
      format: 'JSONEachRow',
    });
    applied.push(file);
  }
  return applied;
}

export function splitStatements(sql: string): string[] {
  const withoutComments = sql
    .split('\n')
    .filter((line) => !line.trim().startsWith('--'))
    .join('\n');
  return withoutComments
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
