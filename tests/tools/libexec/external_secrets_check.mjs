// external-secrets-check: validate ExternalSecret and ClusterSecretStore documents with
// @kubernetes-models/external-secrets.
// Usage: node external_secrets_check.mjs MODELS_DIR FILE.json...  (each file: a JSON array)
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [models, ...files] = process.argv.slice(2);
// The kinds platformgen renders, each validated by its own model.
const kinds = {};
for (const kind of ['ExternalSecret', 'ClusterSecretStore']) {
  kinds[kind] = (
    await import(pathToFileURL(path.join(models, `external-secrets.io/v1/${kind}.js`)).href)
  )[kind];
}
let failed = false;
let checked = 0;
for (const file of files) {
  for (const doc of JSON.parse(fs.readFileSync(file, 'utf8'))) {
    checked += 1;
    try {
      const Model = kinds[doc?.kind];
      if (!Model) throw new Error(`kind ${doc?.kind} is not one of ${Object.keys(kinds)}`);
      new Model(doc).validate();
    } catch (error) {
      failed = true;
      console.error(`${file}: ${doc?.metadata?.name}: ${error.message || error}`);
    }
  }
}
if (checked === 0) {
  console.error('external-secrets-check: no document to check');
  process.exit(1);
}
process.exit(failed ? 1 : 0);
