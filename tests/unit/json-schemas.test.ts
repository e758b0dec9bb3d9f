import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderJsonSchemas } from '../../shared/events/json-schemas.js';

describe('exported JSON Schema files', () => {
  it('match the zod contracts (run `npm run schemas` after changing them)', () => {
    for (const [name, text] of Object.entries(renderJsonSchemas())) {
      const file = path.join('shared', 'events', 'json-schema', name);
      expect(readFileSync(file, 'utf8'), file).toBe(text);
    }
  });
});
