// Compile Motoko sources to canister Wasm with the pinned npm `motoko` package (moc under Node)
// and its bundled `core` library: node compile_motoko.mjs SRC.mo OUT.wasm [SRC.mo OUT.wasm ...]
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const require = createRequire(path.join(root, 'package.json'));
const mo = require('motoko');
mo.loadPackage(require('motoko/packages/latest/core.json'));

const args = process.argv.slice(2);
if (args.length === 0 || args.length % 2) {
  console.error('usage: node compile_motoko.mjs SRC.mo OUT.wasm [SRC.mo OUT.wasm ...]');
  process.exit(2);
}
for (let i = 0; i < args.length; i += 2) {
  const file = `${path.basename(args[i], '.mo')}/Main.mo`;
  mo.write(file, readFileSync(args[i], 'utf8'));
  const result = mo.compiler.compileWasm('ic', file);
  if (!result.code) {
    console.error(`${args[i]}: ${(result.diagnostics || []).map((d) => d.message).join('; ')}`);
    process.exit(1);
  }
  writeFileSync(args[i + 1], result.code.wasm);
}
