/**
 * Writes shared/events/json-schema/*.schema.json from the zod contracts.
 * `--check` exits 1 when the committed files differ (CI and a test use it so they never drift).
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderJsonSchemas } from '../shared/events/json-schemas.js';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'shared', 'events', 'json-schema');
const check = process.argv.includes('--check');
const files = renderJsonSchemas();
mkdirSync(dir, { recursive: true });
const stale: string[] = [];
for (const [name, text] of Object.entries(files)) {
  const file = path.join(dir, name);
  let current = '';
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    /* missing */
  }
  if (current !== text) {
    if (check) stale.push(name);
    else writeFileSync(file, text);
  }
}
for (const f of readdirSync(dir)) if (!(f in files)) stale.push(`${f} (not generated any more)`);
if (check && stale.length > 0) {
  console.error(`JSON schemas out of date: ${stale.join(', ')}. Run: npm run schemas`);
  process.exit(1);
}
console.log(check ? 'JSON schemas up to date' : `wrote ${Object.keys(files).length} JSON schemas to ${path.relative(process.cwd(), dir)}`);
