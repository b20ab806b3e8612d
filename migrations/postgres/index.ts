// Every PostgreSQL migration in order. Listed explicitly so the compiled app, the CLI and the tests
// load the same classes without globbing. Never edit one that has landed; add a new one.
import { Init1763700000000 } from './1763700000000-init';

export const postgresMigrations = [Init1763700000000];
