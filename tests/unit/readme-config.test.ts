import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderConfigTables } from '../../scripts/config-docs.js';

describe('README configuration tables', () => {
  it('are generated from the config schemas and current (run `npm run docs:config`)', () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(readme).toContain(renderConfigTables());
  });
});
