// `npm run bootstrap -- --tenant "Acme Calls" --email ops@acme.test --password '...'`
// Creates the first tenant and its operator on a fresh install (refused once a tenant exists),
// and prints an operator API key (shown once). `--another` creates an additional tenant.
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { NestFactory } from '@nestjs/core';
import { AccountsService } from '../accounts/accounts.service';
import { AppModule } from '../app.module';
import { ConfigError, loadConfig } from '../infra/config/app-config';
import { EmbeddedStores } from '../infra/embedded/embedded-stores';
import { migrateAll } from '../infra/migrate';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      tenant: { type: 'string' },
      email: { type: 'string' },
      password: { type: 'string' },
      another: { type: 'boolean', default: false },
    },
  });
  if (!values.tenant || !values.email || !values.password) {
    console.error('usage: npm run bootstrap -- --tenant NAME --email EMAIL --password PASSWORD [--another]');
    process.exit(64);
  }
  if (values.password.length < 10) {
    console.error('the password must be at least 10 characters');
    process.exit(64);
  }
  const config = { ...loadConfig(), role: 'worker' as const };
  const stores = new EmbeddedStores((m) => console.log(m));
  const resolved = await stores.start(config);
  try {
    await migrateAll(config, resolved);
    const app = await NestFactory.createApplicationContext(AppModule.forRoot(config, resolved), {
      logger: false,
    });
    try {
      const accounts = app.get(AccountsService);
      const { tenant, user } = values.another
        ? await accounts.createTenant(values.tenant, values.email, values.password)
        : await accounts.bootstrap(values.tenant, values.email, values.password);
      const { secret } = await accounts.createApiKey(tenant.id, { name: 'bootstrap', role: 'operator' });
      console.log(`tenant   ${tenant.name} (${tenant.id})`);
      console.log(`operator ${user.email}`);
      console.log(`API key  ${secret}   (shown once: keep it)`);
    } finally {
      await app.close();
    }
  } finally {
    await stores.stop();
  }
}

main().catch((e) => {
  console.error(e instanceof ConfigError ? e.message : ((e as Error)?.message ?? e));
  process.exit(1);
});
