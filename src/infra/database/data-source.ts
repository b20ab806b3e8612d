// TypeORM options shared by the app and the `npm run migrate` command. The schema comes only from
// migrations/postgres (never synchronize).
import { DataSourceOptions } from 'typeorm';
import { postgresMigrations } from '../../../migrations/postgres';

export function dataSourceOptions(url: string): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    synchronize: false,
    migrationsRun: false,
    migrations: postgresMigrations,
    migrationsTableName: 'schema_migrations',
    extra: { max: 20, connectionTimeoutMillis: 10_000 },
    logging: ['error'],
  };
}
