// ESLint flat config for Nucleon.
//
// typescript-eslint "recommended" on every TypeScript file, `any`
// forbidden, plus a handful of rules that catch real bugs in a server; the
// only type-aware rules are the three about promises (tsc --noEmit does the
// rest of the type checking, and this keeps `npm run lint` around 30 s). Relative imports ending in `.js` are enforced by tsc (NodeNext),
// the architecture's layering by dependency-cruiser (.dependency-cruiser.cjs).
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

/** The Node.js globals the few plain JavaScript files (bin/, configs) use. */
const nodeGlobals = Object.fromEntries(
  [
    'process', 'console', 'Buffer', 'URL', 'URLSearchParams', 'AbortController',
    'AbortSignal', 'TextEncoder', 'TextDecoder', 'setTimeout', 'clearTimeout',
    'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate',
    'queueMicrotask', 'structuredClone', 'fetch', 'globalThis',
  ].map((name) => [name, 'readonly']),
);
const commonJsGlobals = { module: 'writable', exports: 'writable', require: 'readonly', __dirname: 'readonly', __filename: 'readonly' };

export default defineConfig(
  {
    ignores: ['node_modules/', 'data/', 'dist/', 'coverage/', 'conformance-results/', 'lab-results/'],
  },
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mts', '**/*.cts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      // `_`-prefixed names are deliberately unused (interface-shaped
      // parameters, destructuring to omit a key).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      // Tests match CLI output indented with two spaces (`/  OK\n$/`);
      // `/ {2}OK/` reads worse.
      'no-regex-spaces': 'off',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-var': 'error',
      'prefer-const': 'error',
      'no-throw-literal': 'error',
      'no-return-assign': 'error',
      'no-self-compare': 'error',
    },
  },
  {
    // Type-aware, but only the promise rules: an unhandled rejection or a
    // promise passed where a callback's result is ignored crashes or hangs a
    // server. The rest of typing is tsc's job. node:test's test()/describe()
    // return promises the runner awaits.
    files: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', 'lab/**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'],
            },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  {
    // Nothing in src/ reads the project's shared notes (../shared): the
    // import side is held by dependency-cruiser, this catches fs paths.
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'Literal[value=/(\\.\\.\\/|\\/work\\/)shared(\\/|$)/]',
          message: 'src/ must not read ../shared: ship what the code needs inside the repository.',
        },
        {
          selector: 'TemplateElement[value.raw=/(\\.\\.\\/|\\/work\\/)shared(\\/|$)/]',
          message: 'src/ must not read ../shared: ship what the code needs inside the repository.',
        },
      ],
    },
  },
  {
    // Config is parsed once by the composition roots and passed down
    // (architecture.md rule 6): nothing else in src/ reads the environment.
    files: ['src/**/*.ts'],
    ignores: ['src/server/**', 'src/cli/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message:
            'Only src/server/ and src/cli/ (the composition roots) read process.env: take the value as a parameter or option they pass down.',
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { sourceType: 'module', globals: nodeGlobals },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...nodeGlobals, ...commonJsGlobals } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
