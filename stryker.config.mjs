// Mutation testing of the modules whose logic decides correctness (issue: tests that fail when the code is wrong).
// Run it with `npm run mutate` (scripts/mutate.js), not by hand: that script points the oracle tests at the built
// oracles and keeps the run incremental. Reports: reports/mutation/ (git-ignored).
export default {
  packageManager: 'npm',
  testRunner: 'tap',
  tap: {
    // the unit tests of those modules: no server, no child processes of the commands
    testFiles: [
      'test/plan/*.test.ts',
      'test/orchestrator/scheduler.test.ts',
      'test/orchestrator/launch.test.ts',
      'test/orchestrator/launch-check.test.ts',
      'test/output/bson-corpus.test.ts',
      'test/output/raw-ejson.test.ts',
      'test/output/raw-ejson-corrupt.test.ts',
      'test/output/mongoexport-oracle.test.ts',
      'test/output/atomic-file.test.ts',
      'test/output/verify.test.ts',
      'test/scale/publish.test.ts',
      'test/scale/makefile.test.ts',
    ],
    nodeArgs: ['--import', 'tsx'],
    forceBail: true,
  },
  mutate: [
    'src/plan/**/*.ts',
    'src/orchestrator/scheduler.ts',
    'src/orchestrator/launch.ts',
    'src/output/record.ts',
    'src/output/verify.ts',
    'src/output/atomic-file.ts',
    'src/output/publish.ts',
    'src/output/raw-ejson.ts',
  ],
  coverageAnalysis: 'perTest',
  incremental: true,
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  thresholds: { high: 90, low: 85, break: null },
  concurrency: 2,
  timeoutMS: 30000,
  tempDirName: '.stryker-tmp',
  ignorePatterns: ['dist', '.cache', 'bench', 'reports', '.scratch', 'demo-out', 'docs', 'examples'],
};
