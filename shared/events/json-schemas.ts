import { z } from 'zod';
import { EXPORTED_SCHEMAS } from './event-schemas.js';

/** JSON Schema documents generated from the zod contracts (draft 2020-12). */
export function renderJsonSchemas(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, schema] of Object.entries(EXPORTED_SCHEMAS)) {
    const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' }) as Record<string, unknown>;
    out[`${name}.schema.json`] = JSON.stringify({ $id: `https://livestreamsell.ai/schemas/${name}.schema.json`, title: name, ...json }, null, 2) + '\n';
  }
  return out;
}
