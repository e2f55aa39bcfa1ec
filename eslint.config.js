// Typed lint for the whole repo. Import boundaries of STYLE.md are enforced here.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const infraClients = ['kafkajs', 'ioredis', '@grpc/*', '@nestjs/*', 'testcontainers'];
/** Test-only code: a package's src/testing/, exported as `<package>/testing` where others need it. */
const TEST_ONLY = ['@clickwise/*/testing', '@clickwise/*/testing/*', '**/testing/*'];
const TEST_ONLY_MESSAGE = 'test-only code: import it from specs and tests only';

const pinoBan = { group: ['pino', 'pino/*'], message: 'log through @clickwise/service (its logger), not pino directly' };

/** Bans importing these packages (and their subpaths) in the files of a block. */
function ban(patterns, message) {
  return { 'no-restricted-imports': ['error', { patterns: patterns.map((group) => ({ group: [group, `${group}/*`], message })) }] };
}

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/gen/**', 'tools/**', '.clickwise/**', 'eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-extraneous-class': 'off',
      // Every service imports libs only, never another service.
      ...ban(['**/services/*/src/**', '@clickwise/service-*'], 'services meet through topics and protos; import libs only'),
    },
  },
  {
    // The Kafka client stays behind libs/kafka's adapter seam (ADR 0042): only an adapter file
    // imports a client library; tests and libs/testing included (they use libs/kafka's API; kcat is
    // the independent client).
    files: ['**/*.ts'],
    ignores: ['libs/kafka/src/*.adapter.ts', 'libs/kafka/src/kafkajs-*.spec.ts', 'libs/kafka/src/kafkajs-*.int.spec.ts'],
    rules: ban(['kafkajs', '@confluentinc/kafka-javascript', 'node-rdkafka'], 'only a libs/kafka adapter (libs/kafka/src/*.adapter.ts) imports a Kafka client; use KafkaPlatform'),
  },
  // The bans below use typescript-eslint's copy of the rule, so they add to the ones above instead
  // of replacing them (one config per rule name and file).
  {
    // One structured logger: libs/service owns pino; everything else logs through it (or is handed it).
    files: ['**/*.ts'],
    ignores: ['libs/service/**'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [pinoBan] }] },
  },
  {
    // libs/testing is a dev dependency: shipped code (services, the CLI's platform commands) must not need it.
    files: ['services/*/src/**/*.ts', 'cli/src/**/*.ts', 'libs/*/src/**/*.ts'],
    ignores: ['**/*.spec.ts', 'cli/src/commands/test.ts', 'libs/testing/**', 'libs/service/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            pinoBan,
            { group: ['@clickwise/testing'], message: 'libs/testing is for tests; local Kafka/Redis and manifests are in @clickwise/local-infra' },
          ],
        },
      ],
    },
  },
  {
    // contracts, errors and config import nothing internal.
    files: ['libs/contracts/**/*.ts', 'libs/errors/**/*.ts', 'libs/config/**/*.ts'],
    rules: ban(['@clickwise/*', ...infraClients], 'contracts, errors and config import nothing internal'),
  },
  {
    // Pure libs: no Kafka, Redis, NestJS or gRPC.
    files: ['libs/features/**/*.ts', 'libs/models/**/*.ts'],
    rules: ban(
      [...infraClients, '@clickwise/kafka', '@clickwise/redis', '@clickwise/feature-store', 'node:net', 'node:http', 'node:fs'],
      'pure libs import no Kafka, Redis, NestJS, gRPC or I/O',
    ),
  },
  {
    // Text features and segments are pure too (the caller passes data in); their specs read the shared data sets.
    files: ['libs/text/**/*.ts', 'libs/segments/**/*.ts'],
    ignores: ['libs/*/**/*.spec.ts'],
    rules: ban(
      [...infraClients, '@clickwise/kafka', '@clickwise/redis', '@clickwise/feature-store', 'node:net', 'node:http', 'node:fs'],
      'pure libs import no Kafka, Redis, NestJS, gRPC or I/O',
    ),
  },
  {
    // The catalogue's state, codec and validation are pure; only its follower reads Kafka (through libs/kafka).
    files: ['libs/catalog/**/*.ts'],
    ignores: ['libs/catalog/src/catalog.follower.ts', 'libs/catalog/src/index.ts', 'libs/catalog/**/*.spec.ts'],
    rules: ban([...infraClients, '@clickwise/kafka', '@clickwise/redis', 'node:*'], 'the catalogue state is pure: only catalog.follower.ts reads Kafka'),
  },
  {
    // The tracker runs in browsers: no Node built-ins, no internal packages (its unit tests may use node:test).
    // It takes its wire types from libs/contracts, as types only: its built modules load in a page
    // without a bundler, so they must import nothing (ADR 0025).
    files: ['libs/tracker/**/*.ts'],
    ignores: ['libs/tracker/**/*.spec.ts', 'libs/tracker/src/testing/**'],
    rules: {
      ...ban(['node:*', ...infraClients], 'the tracker runs in browsers: no Node built-ins or internal packages'),
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@clickwise/*', '!@clickwise/contracts'], message: 'the tracker runs in browsers: no internal packages' },
            { group: ['@clickwise/contracts', '@clickwise/contracts/*'], allowTypeImports: true, message: 'the tracker takes only types from contracts (import type / export type): its modules load in browsers unbundled' },
            // As the test-only block below (which this rule's config here replaces for the tracker).
            { group: TEST_ONLY, message: TEST_ONLY_MESSAGE },
          ],
        },
      ],
      // `import { type X }` keeps an empty import of the module at run time; `import type` does not.
      '@typescript-eslint/no-import-type-side-effects': 'error',
    },
  },
  {
    // The recommender's candidate and ranking code is pure; only its Redis store talks to Redis (ADR 0090).
    files: ['libs/recs/**/*.ts'],
    ignores: ['libs/recs/**/*.spec.ts', 'libs/recs/src/redis.store.ts', 'libs/recs/src/testing/**'],
    rules: ban(
      [...infraClients, '@clickwise/kafka', '@clickwise/redis', '@clickwise/feature-store', 'node:*'],
      'libs/recs is pure except its Redis store (redis.store.ts): the caller passes data in',
    ),
  },
  {
    // Simulator and file mapping are pure: the CLI does the I/O and passes data in.
    files: ['libs/simulator/**/*.ts', 'libs/clickstream-files/**/*.ts'],
    ignores: ['libs/*/**/*.spec.ts'],
    rules: ban([...infraClients, '@clickwise/kafka', '@clickwise/redis', 'node:*'], 'pure libs do no I/O: the caller passes data in'),
  },
  {
    // Test-only code (a package's src/testing/, exported as `<package>/testing` where others need
    // it) never reaches runtime code: only specs, other test-only code and tests/ import it. A rule
    // of its own, so it adds to the import bans above instead of replacing them.
    // (The tracker's block carries the same pattern in its own config of this rule.)
    files: ['libs/*/src/**/*.ts', 'services/*/src/**/*.ts', 'cli/src/**/*.ts'],
    ignores: ['**/*.spec.ts', '**/src/testing/**', 'libs/tracker/**'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [{ group: TEST_ONLY, message: TEST_ONLY_MESSAGE }] }] },
  },
  {
    // Cross-service tests reach services over the wire, never through their source.
    files: ['tests/**/*.ts'],
    rules: ban(['**/services/**', '@clickwise/service-*'], 'tests reach services over HTTP, gRPC and Kafka only'),
  },
);
