import { DEMO_DEFAULTS, DemoOptionsError, parseDemoArgs } from './demo-options';

const options = (argv: string[], env: Record<string, string> = {}) => {
  const parsed = parseDemoArgs(argv, env);
  if (parsed.help) throw new Error('unexpected --help');
  return parsed.options;
};

describe('demo options', () => {
  it('runs with the defaults when nothing is given', () => {
    expect(options([])).toEqual(DEMO_DEFAULTS);
  });

  it('takes DEMO_* variables, and flags over them', () => {
    const env = {
      DEMO_CALLS_PER_MIN: '90',
      DEMO_CALL_SHARE: '0.25',
      DEMO_SITE_PORT: '0',
      DEMO_DURATION_S: '120',
    };
    expect(options([], env)).toEqual({
      callsPerMin: 90,
      callShare: 0.25,
      sitePort: 0,
      durationS: 120,
      traffic: true,
    });
    expect(options(['--calls-per-min', '12', '--no-traffic'], env)).toMatchObject({
      callsPerMin: 12,
      callShare: 0.25,
      traffic: false,
    });
    // An empty variable counts as unset.
    expect(options([], { DEMO_CALLS_PER_MIN: '' }).callsPerMin).toBe(DEMO_DEFAULTS.callsPerMin);
  });

  it('refuses bad values, naming the flag or variable that carried them', () => {
    expect(() => options(['--calls-per-min', 'lots'])).toThrow(/--calls-per-min: "lots" is not a number/);
    expect(() => options([], { DEMO_CALL_SHARE: '1.5' })).toThrow(/DEMO_CALL_SHARE: 1.5 is outside 0.01..1/);
    expect(() => options(['--site-port', '80.5'])).toThrow(/--site-port: "80.5" is not a whole number/);
    expect(() => options(['--duration', '0'])).toThrow(/--duration/);
    expect(() => options(['--calls-per-minute', '5'])).toThrow(DemoOptionsError);
    expect(() => options(['extra'])).toThrow(DemoOptionsError);
    // The usage text comes with every refusal.
    expect(() => options(['--nope'])).toThrow(/usage: npm run demo/);
  });

  it('asks for the usage text with --help', () => {
    expect(parseDemoArgs(['--help'], { DEMO_CALLS_PER_MIN: 'bad' })).toEqual({ help: true });
  });
});
