// ESLint flat config for the whole monorepo: typescript-eslint's recommended rules everywhere,
// React hooks rules in the web app, and the layering as boundaries rules (ARCHITECTURE.md).
// Formatting is Prettier's (`npm run format`, checked in `npm test`). Generated code and build
// output are ignored.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import boundaries from 'eslint-plugin-boundaries';
import globals from 'globals';

/**
 * The layers. Data flows one way: sources -> worker -> store/model -> UI. `domain` is pure l2pop
 * semantics (no I/O, runs in the browser too); `db` is the only home of persistence; apps sit on
 * packages and never on each other; packages' tests use packages only.
 */
const ELEMENTS = [
  { type: 'domain', pattern: 'packages/domain' },
  { type: 'db', pattern: 'packages/db' },
  { type: 'api', pattern: 'packages/api' },
  { type: 'auth', pattern: 'packages/auth' },
  { type: 'testkit', pattern: 'packages/testkit' },
  { type: 'worker', pattern: 'apps/worker' },
  { type: 'web', pattern: 'apps/web' },
  { type: 'agent', pattern: 'apps/agent' },
  { type: 'cli', pattern: 'apps/cli' },
  { type: 'lab', pattern: 'apps/lab' },
  { type: 'fleet', pattern: 'apps/fleet' },
  { type: 'e2e', pattern: 'e2e' },
  { type: 'tools', pattern: '(scripts|bench|docker)' },
];
const APPS = ['worker', 'web', 'agent', 'cli', 'lab', 'fleet'];
/** Who may not import whom (everything else is allowed). */
const LAYERING = [
  // domain: pure semantics, imports nothing of ours but itself
  { from: ['domain'], disallow: ['db', 'api', 'auth', 'testkit', 'e2e', 'tools', ...APPS] },
  // packages never import apps (their tests neither)
  { from: ['db', 'api', 'auth', 'testkit'], disallow: [...APPS, 'e2e', 'tools'] },
  { from: ['db'], disallow: ['api', 'auth'] },
  // authentication sits on db only; the API and the servers sit on it
  { from: ['auth'], disallow: ['api'] },
  // the browser reads through tRPC and the live socket, never the worker's code
  { from: ['web'], disallow: ['worker', 'agent', 'cli', 'lab'] },
  // a node agent runs on a hypervisor: no database, no API, no worker
  { from: ['agent'], disallow: ['db', 'api', 'auth', 'worker', 'web', 'cli', 'lab'] },
  { from: ['worker'], disallow: ['web', 'agent', 'cli', 'lab', 'api'] },
  { from: ['cli'], disallow: ['web', 'worker', 'lab', 'db', 'api'] },
  // the fleet simulator plays neutron-server and agents: it sits on domain; its integration test
  // drives a real worker and reads its database
  { from: ['fleet'], disallow: ['web', 'agent', 'cli', 'lab', 'api', 'auth'] },
];

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/.next/**',
      '**/dist/**',
      '**/generated/**',
      '**/test-results/**',
      '**/playwright-report/**',
      'data/**',
      'fixtures/**',
      '**/next-env.d.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: ['**/*.{ts,tsx,js,mjs}'],
    plugins: { boundaries },
    settings: {
      'boundaries/elements': ELEMENTS,
      'import/resolver': {
        typescript: { project: ['packages/*/tsconfig.json', 'apps/*/tsconfig.json', 'e2e/tsconfig.json'], noWarnOnMultipleProjects: true },
        node: true,
      },
    },
    rules: {
      'boundaries/dependencies': [
        'error',
        {
          default: 'allow',
          policies: LAYERING.map(({ from, disallow }) => ({
            from: { element: { types: { anyOf: from } } },
            disallow: { to: { element: { types: { anyOf: disallow } } } },
          })),
        },
      ],
    },
  },
  {
    // domain runs in the browser too: no Node built-ins, no Node globals (its tsconfig has `types: []`)
    files: ['packages/domain/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^node:', message: 'packages/domain is pure and runs in the browser: no Node built-ins' }] }],
      'no-restricted-globals': [
        'error',
        ...['Buffer', 'process', 'require', '__dirname', 'setImmediate'].map((name) => ({
          name,
          message: 'packages/domain runs in the browser: no Node globals',
        })),
      ],
    },
  },
  {
    files: ['apps/web/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: { ...reactHooks.configs.recommended.rules },
  },
);
