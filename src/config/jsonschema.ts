// The compose file's JSON Schema, generated from the zod schema (editors, CI linting).

import { z } from 'zod';
import { composeSchema } from './schema.js';

/** JSON Schema (draft 2020-12) of the compose file as written (input side: defaults shown, nothing required that has one). */
export function composeJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(composeSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return {
    ...schema,
    title: 'rpmcompose compose file',
    description: 'A declarative set of OCI images made of RPM packages: repos, images, options.',
  };
}
