// Which feature modules run in which APP_ROLE. `api` serves HTTP, `worker` runs queue consumers,
// `all` does both.
import { Type } from '@nestjs/common';
import { AppConfig } from './infra/config/app-config';

const apiModules: Type[] = [];
const workerModules: Type[] = [];
const sharedModules: Type[] = [];

export function featureModules(config: AppConfig): Type[] {
  const api = config.role === 'all' || config.role === 'api';
  const worker = config.role === 'all' || config.role === 'worker';
  return [...sharedModules, ...(api ? apiModules : []), ...(worker ? workerModules : [])];
}
