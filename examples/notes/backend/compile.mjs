// Compiles the notes backend with the Motoko compiler of the pinned npm `motoko` package (moc under
// Node, with its bundled `core` library), as `moc` itself would:
//   node examples/notes/backend/compile.mjs OUT_DIR   ->  OUT_DIR/notes.wasm, OUT_DIR/notes.did
// tools/setup.py runs it when notes.mo or the compiler changed.
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const require = createRequire(path.join(root, 'package.json'));
const mo = require('motoko');
mo.loadPackage(require('motoko/packages/latest/core.json'));

const out = process.argv[2];
if (!out) {
  console.error('usage: node compile.mjs OUT_DIR');
  process.exit(2);
}
mo.write('notes/Main.mo', readFileSync(path.join(here, 'notes.mo'), 'utf8'));
const result = mo.compiler.compileWasm('ic', 'notes/Main.mo');
const problems = (result.diagnostics || []).map(
  (d) => `notes.mo:${d.range.start.line + 1}:${d.range.start.character + 1}: ${d.message}`);
if (!result.code) {
  console.error(problems.join('\n'));
  process.exit(1);
}
if (problems.length) console.error(problems.join('\n'));  // warnings
mkdirSync(out, { recursive: true });
writeFileSync(path.join(out, 'notes.wasm'), result.code.wasm);
writeFileSync(path.join(out, 'notes.did'), result.code.candid);
