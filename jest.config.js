// Unit tests (pure logic, no I/O) and integration/e2e tests (real etcd, Docker, iptables, kubectl)
// are separate projects so `npm run test:unit` stays fast and needs nothing installed.
// ts-jest only transpiles (type checking is `npm run typecheck`), which keeps test start-up fast.
const transform = {
  '^.+\\.ts$': ['ts-jest', { useESM: true, diagnostics: false }],
};
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  transform,
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testEnvironment: 'node',
};

export default {
  // Integration tests start servers and real processes; unit tests finish far below this anyway.
  testTimeout: 120000,
  // Some component under test still holds a handle after its suite (being tracked down); never let
  // that keep a finished run, and so CI, waiting.
  forceExit: true,
  reporters: ['default', '<rootDir>/scripts/jest-summary-reporter.cjs'],
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/{apiserver,controllers,scheduler,kubelet,proxy,machinery,cli}/**/*.test.ts'],
      testPathIgnorePatterns: ['\\.int\\.test\\.ts$'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/**/*.int.test.ts', '<rootDir>/e2e/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '/dist/'],
      globalSetup: '<rootDir>/e2e/support/global-setup.ts',
      globalTeardown: '<rootDir>/e2e/support/global-teardown.ts',
    },
  ],
};
