/**
 * JSON Schemas of scenario files, for editors (yaml-language-server, VS Code) and API documents,
 * in draft-07, which editors support best. They describe the input: fields with defaults are
 * optional and show their default. What JSON Schema cannot express (durations that parse, cron
 * fields, exactly one of promql or http, fields of the other mode) only the loader checks.
 */
import { z } from 'zod';
import { documentedDefaults } from './primitives.js';
import { gameDaySchema, scenarioSchema } from './schema.js';

function toJsonSchema(schema: z.ZodType): Record<string, unknown> {
  const json = z.toJSONSchema(schema, {
    io: 'input',
    target: 'draft-07',
    override: ({ zodSchema, jsonSchema }) => {
      const value = documentedDefaults.get(zodSchema);
      if (value !== undefined) jsonSchema.default = value;
    },
  }) as Record<string, unknown>;
  // Title and description first, for people reading the file.
  const { $schema, title, description, ...rest } = json;
  return { $schema, title, description, ...rest };
}

export function scenarioJsonSchema(): Record<string, unknown> {
  return toJsonSchema(scenarioSchema);
}

export function gameDayJsonSchema(): Record<string, unknown> {
  return toJsonSchema(gameDaySchema);
}
