// What `npm run demo` can be told: command-line flags first, then DEMO_* environment variables, then
// defaults. Parsed once by the entry point (the only code of the demo that sees process.env or argv),
// so a typo stops the demo with a message naming the flag instead of a demo that quietly does less.
import { parseArgs } from 'node:util';

export interface DemoOptions {
  /** Calls per minute the simulated visitors place (on average; arrivals are random). 0: no calls. */
  callsPerMin: number;
  /** Share of visitors who call the number they were shown; the rest browse and leave. */
  callShare: number;
  /** Port of the demo landing page (the publisher's website, a different origin from the service). */
  sitePort: number;
  /** Stop on its own after this many seconds (null: run until Ctrl-C). */
  durationS: number | null;
  /** Seed and print where to look, but send no traffic. */
  traffic: boolean;
}

export const DEMO_DEFAULTS: DemoOptions = {
  callsPerMin: 30,
  callShare: 0.5,
  sitePort: 3100,
  durationS: null,
  traffic: true,
};

export const DEMO_USAGE = [
  'usage: npm run demo -- [options]',
  '  --calls-per-min N   calls per minute from simulated visitors (env DEMO_CALLS_PER_MIN, default 30)',
  '  --call-share X      share of visitors who call, 0.01..1 (env DEMO_CALL_SHARE, default 0.5)',
  '  --site-port N       port of the demo landing page, 0 = any free port (env DEMO_SITE_PORT, default 3100)',
  '  --duration S        stop after S seconds (env DEMO_DURATION_S, default: until Ctrl-C)',
  '  --no-traffic        seed the demo tenant and serve it, but simulate no visitors',
  '  --help              this text',
].join('\n');

export class DemoOptionsError extends Error {
  constructor(message: string) {
    super(`${message}\n${DEMO_USAGE}`);
    this.name = 'DemoOptionsError';
  }
}

/** Result of parsing: either options to run with, or a request for the usage text. */
export type ParsedDemoArgs = { help: true } | { help: false; options: DemoOptions };

function number(
  text: string | undefined,
  name: string,
  check: { min: number; max: number; integer?: boolean },
): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || (check.integer && !Number.isInteger(value))) {
    throw new DemoOptionsError(`${name}: "${text}" is not ${check.integer ? 'a whole number' : 'a number'}`);
  }
  if (value < check.min || value > check.max) {
    throw new DemoOptionsError(`${name}: ${value} is outside ${check.min}..${check.max}`);
  }
  return value;
}

export function parseDemoArgs(argv: string[], env: Record<string, string | undefined>): ParsedDemoArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        'calls-per-min': { type: 'string' },
        'call-share': { type: 'string' },
        'site-port': { type: 'string' },
        duration: { type: 'string' },
        'no-traffic': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw new DemoOptionsError((e as Error).message);
  }
  if (values.help) return { help: true };
  const pick = (flag: string, envName: string): [string | undefined, string] => {
    const given = values[flag];
    return typeof given === 'string' ? [given, `--${flag}`] : [env[envName], envName];
  };
  const [calls, callsName] = pick('calls-per-min', 'DEMO_CALLS_PER_MIN');
  const [share, shareName] = pick('call-share', 'DEMO_CALL_SHARE');
  const [port, portName] = pick('site-port', 'DEMO_SITE_PORT');
  const [duration, durationName] = pick('duration', 'DEMO_DURATION_S');
  return {
    help: false,
    options: {
      callsPerMin: number(calls, callsName, { min: 0, max: 6000 }) ?? DEMO_DEFAULTS.callsPerMin,
      callShare: number(share, shareName, { min: 0.01, max: 1 }) ?? DEMO_DEFAULTS.callShare,
      sitePort: number(port, portName, { min: 0, max: 65535, integer: true }) ?? DEMO_DEFAULTS.sitePort,
      durationS: number(duration, durationName, { min: 1, max: 7 * 86400 }) ?? DEMO_DEFAULTS.durationS,
      traffic: !values['no-traffic'],
    },
  };
}
