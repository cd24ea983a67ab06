// Checks the built package (run by `npm run build` after rollup, and by test/dist/package.test.ts):
//  - dist/torchlet.d.ts is one self-contained file whose declarations never use the `any` type;
//  - dist/torchlet.browser.js imports nothing statically and names no module in a dynamic import
//    (one self-contained file);
//  - dist/torchlet.js imports nothing statically; the modules its dynamic imports name are
//    runtime-only (node:*, webgpu), reached through lazy adapters, so the core loads in any runtime.
// A dynamic import of a computed name (`import(name)`, used so that bundlers leave an optional
// dependency alone) is allowed in both: it runs only where an adapter decided it may, and fails softly.
// Exits non-zero with one line per problem.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { parseAst } from 'rollup/parseAst';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Source text of every `any` type in a declaration file, as "line:col: context". */
export function findAnyTypes(dtsText, fileName = 'torchlet.d.ts') {
  const sf = ts.createSourceFile(fileName, dtsText, ts.ScriptTarget.Latest, true);
  const found = [];
  const visit = (node) => {
    if (node.kind === ts.SyntaxKind.AnyKeyword) {
      const { line, character } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
      const text = dtsText.split('\n')[line].trim();
      found.push(`${fileName}:${line + 1}:${character + 1}: ${text}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/** Module specifiers a declaration file imports or references (it should reference none). */
export function dtsDependencies(dtsText) {
  const sf = ts.createSourceFile('x.d.ts', dtsText, ts.ScriptTarget.Latest, true);
  const deps = [...sf.referencedFiles.map((r) => r.fileName), ...sf.typeReferenceDirectives.map((r) => r.fileName)];
  const visit = (node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) deps.push(node.moduleSpecifier.text);
    if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) deps.push(node.argument.literal.text);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return deps;
}

/** Static and dynamic imports of a JS module: { static: string[], dynamic: string[] } (non-literal: '<expr>'). */
export function jsImports(jsText) {
  const out = { static: [], dynamic: [] };
  const visit = (node) => {
    if (!node || typeof node.type !== 'string') return;
    if ((node.type === 'ImportDeclaration' || node.type === 'ExportAllDeclaration' || node.type === 'ExportNamedDeclaration') && node.source) {
      out.static.push(node.source.value);
    }
    if (node.type === 'ImportExpression') out.dynamic.push(node.source.type === 'Literal' ? node.source.value : '<expr>');
    for (const key of Object.keys(node)) {
      const v = node[key];
      if (Array.isArray(v)) v.forEach(visit);
      else if (v && typeof v === 'object') visit(v);
    }
  };
  visit(parseAst(jsText));
  return out;
}

export const runtimeOnlyModule = (id) => id.startsWith('node:') || id === 'webgpu';

export function checkDist(dir = join(root, 'dist')) {
  const problems = [];
  const dts = readFileSync(join(dir, 'torchlet.d.ts'), 'utf8');
  for (const a of findAnyTypes(dts)) problems.push(`\`any\` in the public types: ${a}`);
  for (const d of dtsDependencies(dts)) problems.push(`torchlet.d.ts depends on '${d}' (it must be self-contained)`);
  const browser = jsImports(readFileSync(join(dir, 'torchlet.browser.js'), 'utf8'));
  for (const s of [...browser.static, ...browser.dynamic.filter((d) => d !== '<expr>')]) {
    problems.push(`torchlet.browser.js imports '${s}' (it must be self-contained)`);
  }
  const node = jsImports(readFileSync(join(dir, 'torchlet.js'), 'utf8'));
  for (const s of node.static) problems.push(`torchlet.js statically imports '${s}' (runtime-specific modules must be lazy)`);
  for (const s of node.dynamic) if (s !== '<expr>' && !runtimeOnlyModule(s)) problems.push(`torchlet.js dynamically imports '${s}'`);
  return problems;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const problems = checkDist();
  if (problems.length) {
    console.error(`dist check failed:\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
  console.log('dist check: ok (no `any` in torchlet.d.ts; bundles self-contained)');
}
