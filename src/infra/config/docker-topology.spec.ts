// docker/ cannot be run here (no Docker engine), so this keeps it consistent with the code: every
// app variable the compose file sets exists in the config schema, the commands it runs are built
// from real entry points, and the load balancer points at the api services.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from './app-config';

const root = join(__dirname, '..', '..', '..');
const compose = parse(readFileSync(join(root, 'docker', 'compose.yml'), 'utf8'), { merge: true });
const configSource = readFileSync(join(__dirname, 'app-config.ts'), 'utf8');

describe('docker topology', () => {
  const services = compose.services as Record<
    string,
    { environment?: Record<string, string>; command?: string[] }
  >;
  const appServices = ['migrate', 'api1', 'api2', 'worker'];

  it('has stores, two api instances, one worker and a balancer', () => {
    for (const name of ['postgres', 'redis', 'clickhouse', 'lb', ...appServices])
      expect(services[name]).toBeDefined();
    expect(services.api1.environment?.APP_ROLE).toBe('api');
    expect(services.api2.environment?.APP_ROLE).toBe('api');
    expect(services.worker.environment?.APP_ROLE).toBe('worker');
    const nginx = readFileSync(join(root, 'docker', 'nginx.conf'), 'utf8');
    expect(nginx).toMatch(/server api1:3000/);
    expect(nginx).toMatch(/server api2:3000/);
  });

  it('sets only variables the config knows, with values it accepts', () => {
    for (const name of appServices) {
      const env = services[name].environment ?? {};
      for (const key of Object.keys(env))
        expect({ service: name, key, known: configSource.includes(`${key}:`) }).toEqual({
          service: name,
          key,
          known: true,
        });
      const resolved = Object.fromEntries(
        Object.entries(env).map(([k, v]) => [k, String(v).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1')]),
      );
      const config = loadConfig(resolved);
      expect(config.database.url).toMatch(/^postgres:\/\/.*@postgres:5432\//);
      expect(config.redis.url).toBe('redis://redis:6379');
      expect(config.clickhouse.url).toBe('http://clickhouse:8123');
    }
  });

  it('runs entry points that exist in the source', () => {
    const dockerfile = readFileSync(join(root, 'docker', 'Dockerfile'), 'utf8');
    const cmds = [services.migrate.command!.join(' '), /CMD \[(.*)\]/.exec(dockerfile)![1]];
    for (const cmd of cmds) {
      const js = /dist\/(\S+?)\.js/.exec(cmd)![1];
      expect(existsSync(join(root, `${js}.ts`))).toBe(true);
    }
  });
});
