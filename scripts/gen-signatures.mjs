// Generates src/generated/api/*.ts: the strict public API. The TypeScript signatures are the source
// of truth: for every function, class constructor and public method that a public namespace module
// exports, this reads the overloads with the compiler API and writes a compact spec (positional
// parameters, their accepted kinds, option keys) next to a wrapped export (src/args.ts applies it).
// `npm run gen:signatures` rewrites the files; test/strict-args.test.ts fails when they are stale.
// Usage: node scripts/gen-signatures.mjs [--check]   (--check: exit 1 if a file would change)

import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'src/generated/api');

/**
 * The public namespace modules that get a strict facade: `file` is wrapped into `out`;
 * sub-namespaces (`export * as name from ...`) that have a facade of their own are re-pointed to it.
 * `tensor: true` also installs the checks on Tensor.prototype (once, when the facade loads).
 */
const FACADES = [
  { out: 'ops', file: 'src/ops/index.ts', tensor: true },
  { out: 'nn-functional', file: 'src/nn/functional/index.ts' },
  { out: 'nn-init', file: 'src/nn/init.ts' },
  { out: 'nn-parametrize', file: 'src/nn/parametrize.ts' },
  { out: 'nn-parametrizations', file: 'src/nn/parametrizations.ts' },
  { out: 'nn-utils', file: 'src/nn/utils.ts' },
  { out: 'nn-parallel', file: 'src/nn/parallel/index.ts' },
  { out: 'nn', file: 'src/nn/index.ts' },
  { out: 'linalg', file: 'src/linalg.ts' },
  { out: 'fft', file: 'src/fft.ts' },
  { out: 'optim-lr-scheduler', file: 'src/optim/lr-scheduler.ts' },
  { out: 'optim-swa-utils', file: 'src/optim/swa-utils.ts' },
  { out: 'optim', file: 'src/optim/index.ts' },
  { out: 'utils-data', file: 'src/utils/data/index.ts' },
  { out: 'utils-tensorboard', file: 'src/utils/tensorboard/index.ts' },
  { out: 'utils-checkpoint', file: 'src/utils/checkpoint.ts' },
  { out: 'utils', file: 'src/utils/index.ts' },
  { out: 'serialization', file: 'src/serialization/index.ts' },
  { out: 'autograd', file: 'src/autograd/api.ts' },
  { out: 'autograd-functional', file: 'src/autograd/functional.ts' },
  { out: 'autograd-anomaly', file: 'src/autograd/anomaly.ts' },
  { out: 'grad-mode', file: 'src/autograd/grad-mode.ts' },
  { out: 'settings', file: 'src/settings.ts' },
  { out: 'compiler', file: 'src/compile/index.ts' },
  { out: 'profiler', file: 'src/profiler/index.ts' },
  { out: 'distributions-constraints', file: 'src/distributions/constraints.ts' },
  { out: 'distributions-transforms', file: 'src/distributions/transforms.ts' },
  { out: 'distributions-kl', file: 'src/distributions/kl.ts' },
  { out: 'distributions', file: 'src/distributions/index.ts' },
  { out: 'distributed', file: 'src/distributed/index.ts' },
  { out: 'amp', file: 'src/amp/index.ts' },
  { out: 'cuda', file: 'src/cuda.ts' },
];

/**
 * Exemptions: exports left unwrapped (their arguments are user code's own business), and object
 * types whose plain-object arguments may carry any key although their declared keys are all optional.
 */
const UNWRAPPED = new Set(['Function', 'FunctionCtx']);
const OPEN_OBJECT_TYPES = new Set(['ParamGroupInput']);

/** Kind letters, in the order src/args.ts numbers them. */
const ORDER = 'Tnbszafiopu';

function programFor() {
  const cfgPath = join(root, 'tsconfig.build.json');
  const cfg = ts.getParsedCommandLineOfConfigFile(cfgPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(String(d.messageText)); } });
  return ts.createProgram({ rootNames: cfg.fileNames.filter((f) => !f.includes('/src/generated/')), options: cfg.options });
}

export function generate() {
  const program = programFor();
  const checker = program.getTypeChecker();
  const source = (rel) => {
    const sf = program.getSourceFile(join(root, rel));
    if (!sf) throw new Error(`gen-signatures: ${rel} is not in the program`);
    return sf;
  };
  const tensorSym = checker.getSymbolAtLocation(source('src/tensor.ts')).exports.get('Tensor');
  const tensorType = checker.getDeclaredTypeOfSymbol(tensorSym);
  const anyArray = checker.createArrayType(checker.getAnyType());

  // ---- type -> kinds ----
  const sortKinds = (set) => [...set].sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b)).join('');
  /** Returns { kinds: Set of letters, shape: Map(key -> kinds string) | null, open: boolean }. */
  function kindsOf(type, depth = 0) {
    const acc = { kinds: new Set(), shape: null, open: false };
    const add = (t) => {
      const f = t.flags;
      if (f & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) { for (const k of ORDER) acc.kinds.add(k); acc.open = true; return; }
      if (f & ts.TypeFlags.TypeParameter) {
        const c = checker.getBaseConstraintOfType(t);
        if (!c || c === t || c.flags & ts.TypeFlags.Unknown) { for (const k of ORDER) acc.kinds.add(k); acc.open = true; return; }
        return add(c);
      }
      if (f & ts.TypeFlags.Union) { for (const u of t.types) add(u); return; }
      if (f & (ts.TypeFlags.Undefined | ts.TypeFlags.Void)) { acc.kinds.add('u'); return; }
      if (f & ts.TypeFlags.Never) return;
      if (f & ts.TypeFlags.Null) { acc.kinds.add('z'); return; }
      if (f & ts.TypeFlags.NumberLike) { acc.kinds.add('n'); return; }
      if (f & ts.TypeFlags.BooleanLike) { acc.kinds.add('b'); return; }
      if (f & ts.TypeFlags.StringLike) { acc.kinds.add('s'); return; }
      if (f & (ts.TypeFlags.BigIntLike | ts.TypeFlags.ESSymbolLike | ts.TypeFlags.Index | ts.TypeFlags.IndexedAccess | ts.TypeFlags.Conditional | ts.TypeFlags.Substitution)) {
        for (const k of ORDER) acc.kinds.add(k); acc.open = true; return;
      }
      if (f & ts.TypeFlags.NonPrimitive) { for (const k of 'Tafiop') acc.kinds.add(k); acc.open = true; return; }
      if (!(f & ts.TypeFlags.Object) && !(f & ts.TypeFlags.Intersection)) { for (const k of ORDER) acc.kinds.add(k); acc.open = true; return; }
      if (checker.isArrayType(t) || checker.isTupleType(t)) { acc.kinds.add('a'); return; }
      const sym = t.getSymbol() ?? t.aliasSymbol;
      const name = t.aliasSymbol?.getName() ?? sym?.getName();
      if (sym && sym.flags & ts.SymbolFlags.Class && checker.isTypeAssignableTo(t, tensorType)) { acc.kinds.add('T'); return; }
      if (name === 'Promise' || name === 'PromiseLike') { acc.kinds.add('p'); return; }
      if (t.getCallSignatures().length || t.getConstructSignatures().length) { acc.kinds.add('f'); return; }
      if (sym && sym.flags & ts.SymbolFlags.Class) { acc.kinds.add('i'); return; }
      if (name === 'Iterable' || name === 'AsyncIterable' || name === 'ArrayLike' || name === 'Iterator' || name === 'IterableIterator' || name === 'Generator') {
        // An array, a class instance or a plain object implementing the protocol ({ *[Symbol.iterator]() {...} }).
        acc.kinds.add('a'); acc.kinds.add('i'); acc.kinds.add('o'); acc.open = true; return;
      }
      if (sym && (sym.flags & ts.SymbolFlags.Interface) && isLibSymbol(sym)) { acc.kinds.add('i'); acc.kinds.add('a'); acc.kinds.add('o'); acc.open = true; return; }
      // An object type: an options object when every property is optional (Partial<...>, { a?: ... }),
      // otherwise a structural object (a user object with required members: extra keys allowed).
      const props = checker.getPropertiesOfType(t);
      const indexed = checker.getIndexInfosOfType(t).length > 0;
      const allOptional = props.length > 0 && props.every((p) => p.flags & ts.SymbolFlags.Optional);
      if (indexed || !allOptional || OPEN_OBJECT_TYPES.has(name) || depth > 0) {
        // A structural object (a user object with required members): extra keys allowed, and
        // arrays or tensors where they have the members ({ length: number } is satisfied by an array).
        acc.kinds.add('o'); acc.kinds.add('i'); acc.open = true;
        if (checker.isTypeAssignableTo(anyArray, t)) acc.kinds.add('a');
        if (checker.isTypeAssignableTo(tensorType, t)) acc.kinds.add('T');
        return;
      }
      acc.kinds.add('o');
      acc.shape ??= new Map();
      for (const p of props) {
        const decl = p.valueDeclaration ?? p.declarations?.[0];
        const pt = checker.getTypeOfSymbolAtLocation(p, decl ?? sourceFileOf(t));
        const sub = kindsOf(pt, depth + 1);
        sub.kinds.add('u');
        const prev = acc.shape.get(p.getName());
        acc.shape.set(p.getName(), sortKinds(new Set([...(prev ?? ''), ...sub.kinds])));
      }
    };
    add(type);
    return acc;
  }
  const isLibSymbol = (sym) => (sym.declarations ?? []).every((d) => program.isSourceFileDefaultLibrary(d.getSourceFile()) || d.getSourceFile().fileName.includes('/node_modules/'));
  const sourceFileOf = (t) => t.getSymbol()?.declarations?.[0] ?? source('src/tensor.ts');

  /** Merges kind records (a union, position by position); an open object drops the key check. */
  function mergeKinds(list) {
    const kinds = new Set(), shape = new Map();
    let open = false, shaped = false;
    for (const k of list) {
      for (const x of k.kinds) kinds.add(x);
      open ||= k.open;
      if (k.shape) {
        shaped = true;
        for (const [key, v] of k.shape) shape.set(key, sortKinds(new Set([...(shape.get(key) ?? ''), ...v])));
      }
    }
    let text = sortKinds(kinds);
    if (shaped && !open && kinds.has('o')) text = text.replace('o', '') + `{${[...shape].map(([k, v]) => `${k}:${v}`).join(';')}}`;
    return text;
  }

  /** The spec of a callable: "name:kinds, name?:kinds, ...rest:kinds" merged over its overloads. */
  function specOf(sigs, where) {
    if (!sigs.length) return null;
    const per = sigs.map((s) => {
      const params = [];
      let rest = null, min = 0;
      s.getParameters().forEach((p, i) => {
        const decl = p.valueDeclaration;
        const type = checker.getTypeOfSymbolAtLocation(p, decl ?? where);
        const name = /^[A-Za-z_$][\w$]*$/.test(p.getName()) && !p.getName().startsWith('__') ? p.getName() : `arg${i}`;
        if (decl && ts.isParameter(decl) && decl.dotDotDotToken) {
          const el = checker.isArrayType(type) ? checker.getTypeArguments(type)[0] : null;
          rest = { name, k: el ? kindsOf(el) : kindsOf(checker.getAnyType()) };
          if (rest.k) rest.k.kinds.add('u');
          return;
        }
        const optional = decl ? checker.isOptionalParameter(decl) : false;
        const k = kindsOf(type);
        if (optional) k.kinds.add('u'); else min = i + 1;
        params.push({ name, k });
      });
      return { params, rest, min };
    });
    const nFixed = Math.max(...per.map((p) => p.params.length));
    const min = Math.min(...per.map((p) => p.min));
    const out = [];
    for (let i = 0; i < nFixed; i++) {
      const list = [];
      let name = null;
      for (const p of per) {
        if (i < p.params.length) { list.push(p.params[i].k); name ??= p.params[i].name; }
        else if (p.rest) { list.push(p.rest.k); name ??= p.rest.name; }
      }
      if (i >= min) list.push({ kinds: new Set(['u']), shape: null, open: false }); // absent in some overload
      out.push(`${name}${i >= min ? '?' : ''}:${mergeKinds(list)}`);
    }
    const rests = per.filter((p) => p.rest);
    if (rests.length) out.push(`...${rests[0].rest.name}:${mergeKinds(rests.map((p) => p.rest.k))}`);
    return out.join(', ');
  }

  const isInternal = (decl) => ts.getJSDocTags(decl).some((t) => t.tagName.text === 'internal');
  const callSigs = (sym, decl) => checker.getSignaturesOfType(checker.getTypeOfSymbolAtLocation(sym, decl), ts.SignatureKind.Call);

  /** Public instance methods a class declares itself: name -> spec. */
  function methodsOf(classSym) {
    const decl = classSym.declarations.find(ts.isClassDeclaration);
    const out = [];
    for (const m of decl.members) {
      if (!ts.isMethodDeclaration(m) || !m.name || !ts.isIdentifier(m.name)) continue;
      const mods = ts.getCombinedModifierFlags(m);
      if (mods & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected | ts.ModifierFlags.Static | ts.ModifierFlags.Abstract)) continue;
      if (isInternal(m)) continue;
      const name = m.name.text;
      if (out.some(([n]) => n === name)) continue;
      const msym = checker.getPropertyOfType(checker.getDeclaredTypeOfSymbol(classSym), name);
      if (!msym) continue;
      const spec = specOf(callSigs(msym, m), m);
      if (spec !== null) out.push([name, spec]);
    }
    return out;
  }

  /** `<A extends X = Y>` of a class, with references to its module's types made importable. */
  function typeParamsOf(classDecl, fromFile) {
    if (!classDecl.typeParameters?.length) return { decl: '', use: '' };
    const printer = ts.createPrinter();
    const own = new Set(classDecl.typeParameters.map((p) => p.name.text));
    const fix = (ctx) => (node) => {
      const visit = (n) => {
        if (ts.isTypeReferenceNode(n) && ts.isIdentifier(n.typeName) && !own.has(n.typeName.text)) {
          let s = checker.getSymbolAtLocation(n.typeName);
          if (s && s.flags & ts.SymbolFlags.Alias) s = checker.getAliasedSymbol(s);
          const d = s?.declarations?.[0];
          if (d && !isLibSymbol(s)) {
            const rel = relative(outDir, d.getSourceFile().fileName).replace(/\.ts$/, '.js');
            const q = ts.factory.createImportTypeNode(ts.factory.createLiteralTypeNode(ts.factory.createStringLiteral(rel.startsWith('.') ? rel : `./${rel}`)),
              undefined, ts.factory.createIdentifier(n.typeName.text), n.typeArguments?.map((a) => ts.visitNode(a, visit)));
            return q;
          }
        }
        return ts.visitEachChild(n, visit, ctx);
      };
      return ts.visitNode(node, visit);
    };
    const parts = classDecl.typeParameters.map((p) => {
      const [t] = ts.transform(p, [fix]).transformed;
      return printer.printNode(ts.EmitHint.Unspecified, t, classDecl.getSourceFile());
    });
    void fromFile;
    return { decl: `<${parts.join(', ')}>`, use: `<${classDecl.typeParameters.map((p) => p.name.text).join(', ')}>` };
  }

  // The implementation's JSDoc, carried over to the facade so that editors and TypeDoc show it; `tag`
  // (@function, @class) makes TypeDoc render the typed const as what it stands for.
  const docComment = (target, tag) => {
    let text = '';
    for (const d of target.declarations ?? []) {
      const docs = ts.getJSDocCommentsAndTags(d).filter(ts.isJSDoc);
      if (docs.length) { const j = docs[docs.length - 1]; text = j.getSourceFile().text.slice(j.getStart(), j.end); break; }
      // An undocumented `const f: typeof g = wrap(g)` (autocast's wrappers) carries g's comment.
      if (ts.isVariableDeclaration(d) && d.type && ts.isTypeQueryNode(d.type)) {
        let s = checker.getSymbolAtLocation(d.type.exprName);
        if (s && s.flags & ts.SymbolFlags.Alias) s = checker.getAliasedSymbol(s);
        if (s && s !== target) return docComment(s, tag);
      }
    }
    const inner = text ? text.replace(/^\/\*\*\s?/, '').replace(/\s*\*\/$/, '').split('\n').map((l) => l.replace(/^\s*\* ?/, '').trimEnd()) : [];
    while (inner.length && !inner[inner.length - 1]) inner.pop();
    if (tag) inner.push(tag);
    if (!inner.length) return [];
    if (inner.length === 1) return [`/** ${inner[0]} */`];
    return ['/**', ...inner.map((l) => (l ? ` * ${l}` : ' *')), ' */'];
  };
  const files = new Map();
  const facadeOf = new Map(FACADES.map((f) => [join(root, f.file), f.out]));
  const q = (s) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  for (const fac of FACADES) {
    const sf = source(fac.file);
    const modSym = checker.getSymbolAtLocation(sf);
    const rel = relative(outDir, join(root, fac.file)).replace(/\.ts$/, '.js');
    const lines = [];
    const body = [];
    let usesF = false, usesC = false;
    const exportsList = checker.getExportsOfModule(modSym).slice().sort((a, b) => a.getName().localeCompare(b.getName()));
    for (const ex of exportsList) {
      const name = ex.getName();
      if (UNWRAPPED.has(name)) continue;
      const target = ex.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(ex) : ex;
      if (target.flags & ts.SymbolFlags.ValueModule) {
        const file = target.declarations?.find(ts.isSourceFile)?.fileName;
        const sub = file && facadeOf.get(file);
        if (sub) body.push(`export * as ${name} from './${sub}.js';`);
        continue;
      }
      if (!(target.flags & ts.SymbolFlags.Value)) continue;
      const decl = target.valueDeclaration;
      if (!decl || isInternal(decl)) continue;
      // Declared in a file with a facade of its own (a class torch.distributions re-exports from
      // torch.distributions.transforms): re-export that wrapper, so both names are one class.
      const home = facadeOf.get(decl.getSourceFile().fileName);
      if (home && home !== fac.out) { body.push(`export { ${name} } from './${home}.js';`); continue; }
      if (target.flags & ts.SymbolFlags.Class) {
        const classDecl = target.declarations.find(ts.isClassDeclaration);
        const ctorType = checker.getTypeOfSymbolAtLocation(target, decl);
        const ctor = specOf(checker.getSignaturesOfType(ctorType, ts.SignatureKind.Construct), decl);
        const methods = methodsOf(target);
        const tp = typeParamsOf(classDecl, fac.file);
        usesC = true;
        const m = methods.length ? `{\n${methods.map(([n, s]) => `  ${n}: ${q(s)},`).join('\n')}\n}` : '{}';
        body.push(...docComment(target, '@class'));
        body.push(`export const ${name}: typeof N.${name} = c(N.${name}, ${q(name)}, ${ctor === null ? 'null' : q(ctor)}, ${m});`);
        body.push(...docComment(target), `export type ${name}${tp.decl} = N.${name}${tp.use};`);
        continue;
      }
      const sigs = callSigs(target, decl);
      if (!sigs.length || checker.getSignaturesOfType(checker.getTypeOfSymbolAtLocation(target, decl), ts.SignatureKind.Construct).length) continue;
      usesF = true;
      body.push(...docComment(target, '@function'));
      body.push(`export const ${name}: typeof N.${name} = f(N.${name}, ${q(publicName(name))}, ${q(specOf(sigs, decl))});`);
    }
    lines.push(
      '// Generated by scripts/gen-signatures.mjs (npm run gen:signatures) from the TypeScript signatures of',
      `// ${fac.file}: every exported function and class, wrapped so that public calls check their arguments`,
      '// (src/args.ts). Do not edit; regenerate after changing a public signature.',
      '',
      `import * as N from '${rel}';`,
    );
    const helpers = [usesF && 'strictFunction as f', usesC && 'strictClass as c', fac.tensor && 'strictMethods'].filter(Boolean);
    if (helpers.length) lines.push(`import { ${helpers.join(', ')} } from '../../args.js';`);
    if (fac.tensor) lines.push(`import { Tensor } from '../../tensor.js';`);
    lines.push('', `export * from '${rel}';`, ...body);
    if (fac.tensor) {
      const methods = methodsOf(tensorSym);
      lines.push('', '// Tensor methods, checked in place on the prototype.', 'strictMethods(Tensor, \'Tensor\', {', ...methods.map(([n, s]) => `  ${n}: ${q(s)},`), '});');
    }
    files.set(join(outDir, `${fac.out}.ts`), lines.join('\n') + '\n');
  }
  return files;
}

/** torch.empty / torch.var are `empty_` / `var_` in the sources (reserved words there). */
function publicName(name) { return name === 'empty_' || name === 'var_' ? name.slice(0, -1) : name; }

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const files = generate();
  const check = process.argv.includes('--check');
  let stale = 0;
  mkdirSync(outDir, { recursive: true });
  for (const [path, text] of files) {
    const old = existsSync(path) ? readFileSync(path, 'utf8') : null;
    if (old === text) continue;
    stale++;
    if (check) console.error(`stale: ${relative(root, path)}`);
    else writeFileSync(path, text);
  }
  if (check && stale) process.exit(1);
  if (!check) console.log(`gen-signatures: ${files.size} files, ${stale} rewritten`);
}
