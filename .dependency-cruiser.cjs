// The arrows between rpmcompose's stages (README: "Layout"), checked by dependency-cruiser:
// `npm run arrows` by hand, and test/arrows.test.ts in `npm test` (which also proves every
// rule below still fires, on test/fixtures/arrows/src, a tree that breaks each one).
//
// Paths are matched relative to the directory depcruise runs in, so every rule is anchored
// at `^src/`: run it from the repo root (or, for the fixture, from test/fixtures/arrows).
// Type-only imports count (tsPreCompilationDeps): a type is an arrow too.
//
// What is not here because an import graph cannot see it: printing and exiting only in
// src/cli/, rename() only in src/atomic.ts, createHash() only in src/hash.ts, and the
// addon's computed path and createRequire() only in src/native.ts. test/arrows.test.ts
// greps for those.
const path = require('node:path');

/** The pure cross-cutting modules at src/*.ts (no I/O, no state). */
const PURE_SHARED = '^src/(hash|json|order|bytes|errors)[.]ts$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'only-cli-imports-pipeline',
      comment:
        'The pipeline is the spine that calls every stage; a stage that imported it back would ' +
        'depend on all the others. Only the commands in src/cli/ drive it.',
      severity: 'error',
      from: { pathNot: '^src/(cli|pipeline)/' },
      to: { path: '^src/pipeline/' },
    },
    {
      name: 'only-cli-imports-cli',
      comment:
        'src/cli/ is the outermost ring, the one place that prints or exits: nothing else, ' +
        'the pipeline included, may reach into it.',
      severity: 'error',
      from: { pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'oci-knows-no-rpm',
      comment:
        'OCI output takes finished layer blobs and config; it must stay usable without repos, ' +
        'the solver, the RPM reader or the layer builder (the pipeline and cli are covered ' +
        'by the two rules above).',
      severity: 'error',
      from: { path: '^src/oci/' },
      to: { path: '^src/(repo|solve|rpm|layer)/' },
    },
    {
      name: 'plan-is-pure',
      comment:
        'The layer planner is a pure function of its input, so that it can be tested and ' +
        'cached on its own: it imports only src/plan/, src/types/, the pure shared modules ' +
        'and node:crypto. Anything else (node:fs, net, http, child_process, worker_threads, ' +
        'undici, src/native.ts, src/atomic.ts, any npm package or other stage) is refused.',
      severity: 'error',
      from: { path: '^src/plan/' },
      to: { pathNot: ['^src/(plan|types)/', PURE_SHARED, '^(node:)?crypto$'] },
    },
    {
      name: 'types-are-leaves',
      comment:
        'src/types/ holds the stage-neutral types every stage shares; if it imported a stage ' +
        '(or a library) every stage would import that too.',
      severity: 'error',
      from: { path: '^src/types/' },
      to: { pathNot: '^src/types/' },
    },
    {
      name: 'only-native-loads-addon',
      comment:
        'One module wraps the compiled libsolv addon and gives it types; any other import ' +
        'of a .node file or of build/Release bypasses them.',
      severity: 'error',
      from: { pathNot: '^src/native[.]ts$' },
      to: { path: ['[.]node$', '(^|/)build/Release/'] },
    },
    {
      name: 'no-stage-cycle',
      comment:
        'The stage folders form a DAG under the pipeline: two folders that import each other ' +
        'are one stage split in two, and neither can be tested or reused alone. Folder scope, ' +
        'so a cycle through different files of each folder counts too (config/a -> repo/b, ' +
        'repo/c -> config/d). It cannot see a cycle whose one arrow points into a subfolder ' +
        '(repo -> config/sub, config -> repo): folders are nodes by their exact path.',
      severity: 'error',
      scope: 'folder',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-shared-module-cycle',
      comment:
        'The cross-cutting src/*.ts modules sit below every stage. The folder rule above ' +
        'cannot see a cycle through them (src/ contains every stage), so a module cycle ' +
        'that passes through one is refused here.',
      severity: 'error',
      from: { path: '^src/[^/]+[.]ts$' },
      to: { circular: true },
    },
    {
      name: 'no-unresolvable',
      comment:
        'Every rule above matches resolved paths: an import that does not resolve (a typo, ' +
        'or a .js specifier whose .ts is missing) would slip past all of them.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // Only the sources are cruised; npm packages are leaves.
    doNotFollow: { path: ['node_modules'] },
    // ESM sources; cjs so that a `require(...)` made with createRequire is seen as well.
    moduleSystems: ['es6', 'cjs'],
    // Count `import type` too: a type-only arrow is still an arrow between stages.
    tsPreCompilationDeps: true,
    // Absolute, so the same config serves a run from the fixture's directory.
    tsConfig: { fileName: path.join(__dirname, 'tsconfig.json') },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
  },
};
