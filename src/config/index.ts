// The config stage: compose.json (+ the dnf .repo files it names) → a validated Compose.

export { loadCompose, resolveLocation, DEFAULT_VARSDIR, type LoadOptions } from './load.js';
export { composeJsonSchema } from './jsonschema.js';
export { composeSchema, DEFAULT_OPTIONS, type ComposeFile } from './schema.js';
export { parseRepoFile, readRepoDirs, DEFAULT_REPOSDIR, type RepoFileEntry, type RepoIndex } from './repofile.js';
export { substitute, basearch, archVars, hostArch, readVarsDir, KNOWN_ARCHES } from './vars.js';
export { IMAGE_ARCHES, imageArchProblem } from './arch.js';
export type { Compose, ComposeOptions, ImageDef, RepoSource } from '../types/index.js';
