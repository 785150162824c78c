// Stage-neutral types: the values one stage hands to the next (the validated compose, the
// fetched repo metadata, the resolution). Types only, importing nothing outside this
// folder, so any stage can share them without depending on another stage.
export type * from './compose.js';
export type * from './repo.js';
export type * from './resolution.js';
