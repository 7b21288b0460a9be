// mermaid-check: parse every ```mermaid block of Markdown files with Mermaid's own parser.
// Usage: node mermaid_check.mjs NODE_MODULES_DIR FILE.md...
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [modules, ...files] = process.argv.slice(2);
const load = (file) => import(pathToFileURL(path.join(modules, file)).href);
// Node has no DOM: Mermaid's sanitizer (DOMPurify) then lacks its hooks, which parsing calls but
// does not need. Its instance is the one Mermaid imports (the same module URL), so stubs on it
// let the parser run; nothing is rendered, so nothing goes unsanitized.
const { default: DOMPurify } = await load('dompurify/dist/purify.es.mjs');
DOMPurify.addHook ??= () => {};
DOMPurify.removeHook ??= () => {};
DOMPurify.removeHooks ??= () => {};
DOMPurify.sanitize ??= (text) => text;
const { default: mermaid } = await load('mermaid/dist/mermaid.core.mjs');

let failed = false;
let checked = 0;
for (const file of files) {
  const blocks = fs
    .readFileSync(file, 'utf8')
    .split('```mermaid\n')
    .slice(1)
    .map((rest) => rest.split('\n```')[0]);
  for (const [index, block] of blocks.entries()) {
    checked += 1;
    try {
      await mermaid.parse(block);
    } catch (error) {
      failed = true;
      console.error(`${file}: diagram ${index + 1}: ${error.message || error}`);
    }
  }
}
if (checked === 0) {
  console.error('mermaid-check: no ```mermaid block in the files given');
  process.exit(1);
}
console.log(`mermaid-check: ${checked} diagram(s) parsed${failed ? ', with errors' : ''}`);
process.exit(failed ? 1 : 0);
