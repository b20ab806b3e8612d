// Every PostgreSQL migration in order. Listed explicitly so the compiled app, the CLI and the tests
// load the same classes without globbing. Never edit one that has landed; add a new one.
import { Init1763700000000 } from './1763700000000-init';
import { Calls1795200000000 } from './1795200000000-calls';
import { CdrPixels1795300000000 } from './1795300000000-cdr-pixels';
import { HoldMessage1795400000000 } from './1795400000000-hold-message';
import { CdrOutboxPrune1795450000000 } from './1795450000000-cdr-outbox-prune';
import { CdrOutboxNotify1795500000000 } from './1795500000000-cdr-outbox-notify';

export const postgresMigrations = [
  Init1763700000000,
  Calls1795200000000,
  CdrPixels1795300000000,
  HoldMessage1795400000000,
  CdrOutboxPrune1795450000000,
  CdrOutboxNotify1795500000000,
];
