// Documentation coverage of the public API, checked mechanically over the bundled declarations that
// users get (dist/torchlet.d.ts) with the TypeScript compiler API, so that `npm run docs` (TypeDoc)
// has a summary for everything it lists. Every exported function, class, constant and namespace, every
// public method and accessor of an exported class, every member of an exported object (torch.webgpu,
// torch.autograd) and every field of an exported interface or object type (the options objects) needs
// a non-empty JSDoc summary. A strict facade (`const abs: typeof abs$1`) is documented by its target's
// comment, and an override by the comment of the member it overrides, as TypeDoc renders them.

import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { distFiles, ensureDist } from './dist/ensure-dist.js';

const dtsPath = distFiles.find((f) => f.endsWith('.d.ts'))!;

function summary(checker: ts.TypeChecker, sym: ts.Symbol): string {
  return ts.displayPartsToString(sym.getDocumentationComment(checker)).trim();
}

export function undocumented(): { missing: string[]; checked: number } {
  const program = ts.createProgram([dtsPath], { noEmit: true, skipLibCheck: true, types: [], lib: ['lib.es2022.d.ts', 'lib.dom.d.ts', 'lib.esnext.disposable.d.ts'] });
  const checker = program.getTypeChecker();
  const sf = program.getSourceFile(dtsPath)!;
  const missing: string[] = [];
  let checked = 0;
  const seen = new Set<ts.Symbol>();
  const resolve = (s: ts.Symbol): ts.Symbol => (s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s);

  // A symbol's summary, following `typeof X` facades (const x: typeof X) to X.
  const docOf = (sym: ts.Symbol, depth = 0): string => {
    const own = summary(checker, sym);
    if (own || depth > 5) return own;
    for (const d of sym.declarations ?? []) {
      const type = (ts.isVariableDeclaration(d) || ts.isPropertySignature(d) || ts.isPropertyDeclaration(d)) ? d.type : undefined;
      if (type && ts.isTypeQueryNode(type)) {
        const target = checker.getSymbolAtLocation(type.exprName);
        if (target) return docOf(resolve(target), depth + 1);
      }
    }
    return '';
  };
  const check = (name: string, sym: ts.Symbol): void => {
    checked++;
    if (!docOf(sym)) missing.push(name);
  };
  // The class a symbol stands for: a class, or a `const X: typeof Class` facade.
  const classOf = (sym: ts.Symbol, depth = 0): ts.Symbol | undefined => {
    if (sym.flags & ts.SymbolFlags.Class) return sym;
    if (depth > 5) return undefined;
    for (const d of sym.declarations ?? []) {
      if (ts.isVariableDeclaration(d) && d.type && ts.isTypeQueryNode(d.type)) {
        const t = checker.getSymbolAtLocation(d.type.exprName);
        if (t) return classOf(resolve(t), depth + 1);
      }
    }
    return undefined;
  };
  const isPublicMember = (d: ts.Declaration): boolean => {
    const mods = ts.getCombinedModifierFlags(d);
    if (mods & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) return false;
    const n = (d as ts.NamedDeclaration).name;
    if (n && ts.isPrivateIdentifier(n)) return false;
    return !ts.getJSDocTags(d).some((t) => t.tagName.text === 'internal' || t.tagName.text === 'hidden');
  };
  // Documented here or on the base-class member it overrides (TypeDoc copies that comment).
  const inheritedDoc = (cls: ts.Symbol, member: string): string => {
    const decl = cls.declarations?.find(ts.isClassDeclaration);
    const base = decl?.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0];
    if (!base) return '';
    const baseType = checker.getTypeAtLocation(base);
    const m = baseType.getProperty(member);
    return m ? summary(checker, m) : '';
  };
  const checkClass = (name: string, cls: ts.Symbol): void => {
    if (seen.has(cls)) return;
    seen.add(cls);
    const members = [...(cls.members?.values() ?? []), ...(cls.exports?.values() ?? [])];
    for (const m of members) {
      const n = m.getName();
      if (n === '__constructor' || n === 'prototype' || n.startsWith('_') || n.startsWith('__@')) continue;
      if (!(m.flags & (ts.SymbolFlags.Method | ts.SymbolFlags.GetAccessor | ts.SymbolFlags.SetAccessor))) continue;
      const decls = m.declarations ?? [];
      if (!decls.length || !decls.every(isPublicMember)) continue;
      checked++;
      if (!summary(checker, m) && !inheritedDoc(cls, n)) missing.push(`${name}.${n}`);
    }
  };
  const checkFields = (name: string, type: ts.Type): void => {
    for (const p of type.getProperties()) {
      const decl = p.declarations?.[0];
      // Only fields declared in the package (not DOM or lib types reached through a union).
      if (!decl || decl.getSourceFile() !== sf) continue;
      check(`${name}.${p.getName()}`, p);
    }
  };
  const visit = (name: string, raw: ts.Symbol): void => {
    const sym = resolve(raw);
    if (name.endsWith('.default')) return; // the namespace itself, as the default export
    if (sym.flags & ts.SymbolFlags.Module) {
      if (seen.has(sym)) return;
      seen.add(sym);
      for (const e of checker.getExportsOfModule(sym)) visit(`${name}.${e.getName()}`, e);
      return;
    }
    const cls = classOf(sym);
    if (cls) {
      check(name, sym);
      checkClass(name, cls);
      return;
    }
    if (sym.flags & (ts.SymbolFlags.Function | ts.SymbolFlags.Variable)) {
      if (seen.has(sym)) return;
      seen.add(sym);
      check(name, sym);
      // An exported object of functions (torch.webgpu, torch.autograd): each member too.
      const decl = sym.valueDeclaration;
      if (decl && ts.isVariableDeclaration(decl) && decl.type && ts.isTypeLiteralNode(decl.type)) {
        for (const p of checker.getTypeAtLocation(decl).getProperties()) {
          const pc = classOf(p);
          if (pc) { check(`${name}.${p.getName()}`, p); checkClass(`${name}.${p.getName()}`, pc); } else check(`${name}.${p.getName()}`, p);
        }
      }
      return;
    }
    if (sym.flags & ts.SymbolFlags.Interface || sym.flags & ts.SymbolFlags.TypeAlias) {
      if (seen.has(sym)) return;
      seen.add(sym);
      const decl = sym.declarations?.[0];
      if (!decl) return;
      const isObject = ts.isInterfaceDeclaration(decl) || (ts.isTypeAliasDeclaration(decl) && ts.isTypeLiteralNode(decl.type));
      if (isObject) checkFields(name, checker.getDeclaredTypeOfSymbol(sym));
    }
  };
  const moduleSym = checker.getSymbolAtLocation(sf)!;
  for (const e of checker.getExportsOfModule(moduleSym)) visit(`torch.${e.getName()}`, e);
  return { missing: [...new Set(missing)].sort(), checked };
}

describe('API documentation', () => {
  it('every public function, class, method and option field has a summary', { timeout: 600_000 }, async () => {
    await ensureDist();
    const { missing, checked } = undocumented();
    expect(checked).toBeGreaterThan(1000);
    expect(missing, `${missing.length} of ${checked} public names have no JSDoc summary:\n${missing.join('\n')}`).toEqual([]);
  });

  it('the docs entry and the porting guide are in place', () => {
    const cfg = JSON.parse(readFileSync(new URL('../typedoc.json', import.meta.url), 'utf8'));
    expect(cfg.entryPoints).toEqual(['src/index.ts']);
    expect(cfg.projectDocuments).toContain('docs/porting-from-pytorch.md');
    expect(readFileSync(new URL('../docs/porting-from-pytorch.md', import.meta.url), 'utf8')).toMatch(/## Differences/);
  });
});
