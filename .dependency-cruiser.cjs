// dependency-cruiser: the layering rules of docs/architecture.md, as errors.
// Run by `npm run lint` as `depcruise src --config .dependency-cruiser.cjs`.
//
// Paths are relative to the repository root. A rule's `comment` is what a
// developer sees when it fires, so it says what to do instead.

/** The top-level folders of src/ (architecture.md, "Layout"). */
const LAYERS = [
  'common', 'config', 'db', 'resources', 'keystone', 'api', 'plugins', 'events', 'rpc',
  'host', 'agents', 'server', 'cli', 'ui',
];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'agents-use-rpc-only',
      severity: 'error',
      comment:
        'Agents run on other hosts in production: everything they know comes over src/rpc/. ' +
        'They never import src/db/, src/plugins/, src/api/ or src/server/ (architecture.md rule 1).',
      from: { path: '^src/agents/' },
      to: { path: '^src/(db|plugins|api|server)/' },
    },
    {
      name: 'only-host-runs-processes',
      severity: 'error',
      comment:
        'Only src/host/ starts processes or touches the kernel (architecture.md rule 5). ' +
        'Go through its typed interface instead of importing child_process.',
      from: { path: '^src/', pathNot: '^src/host/' },
      to: { path: '^(node:)?child_process$' },
    },
    {
      name: 'ui-is-browser-code',
      severity: 'error',
      comment:
        'src/ui/ runs in the browser and knows the server only through the HTTP API: it imports ' +
        'nothing from the rest of src/, and nothing in src/ imports it (the server serves its built files).',
      from: { path: '^src/ui/' },
      to: { path: '^src/', pathNot: '^src/ui/' },
    },
    {
      name: 'nothing-imports-the-ui',
      severity: 'error',
      comment: 'src/ui/ is browser code, served as files: import nothing from it (architecture.md, layout).',
      from: { path: '^src/', pathNot: '^src/ui/' },
      to: { path: '^src/ui/' },
    },
    {
      name: 'resources-are-data',
      severity: 'error',
      comment:
        'src/resources/ holds declarations (data): it imports nothing but other declarations ' +
        'in src/resources/ (architecture.md rule 2). Behaviour belongs in src/api/ or src/plugins/.',
      from: { path: '^src/resources/' },
      to: { pathNot: '^src/resources/' },
    },
    {
      name: 'migrations-are-frozen',
      severity: 'error',
      comment:
        'A migration is frozen in time: it must not import application code (schema, plugins, ' +
        'common helpers) that changes after it was written. Inline what it needs.',
      from: { path: '^src/db/migrations/' },
      to: { path: '^src/', pathNot: '^src/db/migrations/' },
    },
    {
      name: 'composition-roots-are-leaves',
      severity: 'error',
      comment:
        'src/server/ and src/cli/ are the composition roots (architecture.md rule 6): nothing ' +
        'else imports them. Pass what a module needs down to it instead.',
      from: { path: '^src/', pathNot: '^src/(server|cli)/' },
      to: { path: '^src/(server|cli)/' },
    },
    {
      name: 'api-and-host-are-edges',
      severity: 'error',
      comment:
        'src/plugins/, src/db/ and src/common/ never import src/api/ (the HTTP edge: routing, bodies, ' +
        'auth hooks, policy) or src/host/ (the kernel of the machine it runs on, architecture.md rule 5). ' +
        'Move the piece they share to the layer below and import it from there: src/common/ for types, ' +
        'errors and pure helpers, src/keystone/ for the Keystone client. A host is passed down by the ' +
        'composition root (src/server/) to the agents that use it.',
      from: { path: '^src/(plugins|db|common)/' },
      to: { path: '^src/(api|host)/' },
    },
    {
      name: 'keystone-client-stands-alone',
      severity: 'error',
      comment:
        'src/keystone/ is the Keystone client (identity calls, service token, catalog, token cache): ' +
        'it imports only src/common/ and packages, so that src/api/, src/plugins/ and src/server/ can ' +
        'all use it. Configuration reaches it as plain values from the caller; HTTP auth hooks and ' +
        'NeutronError mapping stay in src/api/keystone/.',
      from: { path: '^src/keystone/' },
      to: { path: '^src/', pathNot: '^src/(keystone|common)/' },
    },
    {
      name: 'config-stands-alone',
      severity: 'error',
      comment:
        'src/config/ parses options; it does not import src/api/, src/plugins/ or src/db/. ' +
        'Those receive the parsed configuration from the composition root.',
      from: { path: '^src/config/' },
      to: { path: '^src/(api|plugins|db)/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Circular dependency: move the shared part into a module both can import.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-reading-outside-the-repo',
      severity: 'error',
      comment:
        'src/ must not reach outside the repository (for example ../shared): ship what the code ' +
        'needs inside the repository.',
      from: { path: '^src/' },
      // resolved paths are relative to the repository root; installed
      // packages may live in a node_modules above it (workspaces, symlinks)
      to: { path: '^\\.\\./', pathNot: '(^|/)node_modules/' },
    },
    {
      name: 'known-layers-only',
      severity: 'error',
      comment:
        `Every file in src/ lives in one of the layers of architecture.md (${LAYERS.join(', ')}). ` +
        'A new folder is a design change: add it there and to LAYERS in .dependency-cruiser.cjs.',
      from: { path: '^src/', pathNot: `^src/(${LAYERS.join('|')})/` },
      to: {},
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'This import does not resolve to a file or an installed package.',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'not-to-dev-dep',
      severity: 'error',
      comment:
        'src/ runs in production, where devDependencies are not installed: move the package to ' +
        '"dependencies" (type-only imports are fine).',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|data|dist)/' },
    // `import type` counts too: a type-only cycle or layer breach is still a
    // design smell, and tsc resolves it the same way.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
