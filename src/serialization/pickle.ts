// Restricted unpickler for PyTorch checkpoints (pickle protocols 2-4). It implements only the
// opcodes that state dicts and plain containers need, and resolves only an allowlist of globals
// (tensor rebuild functions, storage types, OrderedDict). Nothing from the file is ever executed.
// Any other GLOBAL is, with `inert` (torch.load's weightsOnly: false), an inert
// PickledReference naming it: calling it (REDUCE/NEWOBJ) gives a placeholder object holding the
// arguments and BUILD state, getattr(x, 'name') a placeholder naming the method or function. That
// is how a PyTorch 1.13 OneCycleLR/SWALR state_dict (its anneal_func is a pickled bound method, the
// scheduler and optimizer objects with it) loads next to the model weights. Without `inert`
// (weightsOnly true, the default) such a global is refused with an error naming it, as PyTorch's weights_only
// unpickler refuses it. Tensors are built by callbacks.

export interface GlobalRef { readonly kind: 'global'; readonly module: string; readonly name: string }
export interface UnpickleHooks {
  /** BINPERSID: turns a persistent id (e.g. ['storage', type, key, location, numel]) into a value. */
  persistentLoad(pid: unknown): unknown;
  /** REDUCE of an allowed global with its arguments. */
  call(fn: GlobalRef, args: unknown[]): unknown;
  /** Globals that may appear (`module.name`). */
  allowed: ReadonlySet<string>;
  /** Unknown globals become inert PickledReference placeholders instead of an error. */
  inert?: boolean;
  /** The error for a global that is neither allowed nor (without `inert`) loadable. */
  refuse?: (full: string) => Error;
}

/**
 * What torch.load gives for a Python object that is not data (a class, a function, a bound method,
 * an instance of a class): a placeholder naming it, never resolved nor called. `kind` is 'global'
 * (a class or function named by the file), 'function' (a method or function reference, such as a
 * scheduler's anneal_func) or 'object' (an instance: `args` are its constructor arguments, `state`
 * what pickle's BUILD gave it, usually its __dict__). Scheduler loadStateDict ignores these entries.
 */
export class PickledReference {
  /** @internal */
  constructor(
    readonly kind: 'global' | 'function' | 'object',
    /** The Python module (`torch.optim.lr_scheduler`). */
    readonly module: string,
    /** The qualified name in the module (`OneCycleLR`, `OneCycleLR._annealing_cos`). */
    readonly name: string,
    /** Constructor arguments of an 'object' (as loaded, inert). */
    readonly args: readonly unknown[] = [],
    /** The state BUILD set on an 'object' (its __dict__ as loaded), else undefined. */
    public state: unknown = undefined,
  ) {}
  /** `module.name`, as Python would print the qualified name. */
  get qualifiedName(): string { return this.module ? `${this.module}.${this.name}` : this.name; }
  toString(): string {
    const what = this.kind === 'function' ? 'function' : this.kind === 'object' ? 'object' : 'global';
    return `<pickled ${what} ${this.qualifiedName} (not loaded: torchlet never runs code from a file)>`;
  }
}
/** Whether v is a placeholder for a pickled Python object that is not data. */
export function isPickledReference(v: unknown): v is PickledReference { return v instanceof PickledReference; }

const MARK = Symbol('mark');
type Val = unknown;

function fail(msg: string): never { throw new Error(`load: ${msg}`); }

export function unpickle(data: Uint8Array, hooks: UnpickleHooks): unknown {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const td = new TextDecoder('utf-8', { fatal: false });
  const stack: Val[] = [];
  const memo = new Map<number, Val>();
  let p = 0;
  const need = (n: number): number => {
    if (p + n > data.length) fail(`truncated pickle (needed ${n} bytes at offset ${p} of ${data.length})`);
    const at = p; p += n; return at;
  };
  const u8 = () => data[need(1)]!;
  const u16 = () => dv.getUint16(need(2), true);
  const u32 = () => dv.getUint32(need(4), true);
  const bytes = (n: number) => data.subarray(need(n), p);
  const line = (): string => {
    const end = data.indexOf(0x0a, p);
    if (end < 0) fail('truncated pickle (unterminated GLOBAL)');
    const s = td.decode(data.subarray(p, end)); p = end + 1; return s;
  };
  const pop = (): Val => { if (stack.length === 0) fail('malformed pickle (stack underflow)'); return stack.pop(); };
  const popMark = (): Val[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) fail('malformed pickle (no MARK)');
    const items = stack.splice(i);
    items.shift();
    return items;
  };
  const top = (): Val => { if (stack.length === 0) fail('malformed pickle (stack underflow)'); return stack[stack.length - 1]; };
  const setItems = (d: Val, kv: Val[]): void => {
    if (!d || typeof d !== 'object' || Array.isArray(d)) fail('malformed pickle (SETITEM on a non-dict)');
    for (let i = 0; i + 1 < kv.length; i += 2) (d as Record<string, Val>)[String(kv[i])] = kv[i + 1];
  };
  const global = (module: string, name: string): GlobalRef | PickledReference => {
    const full = `${module}.${name}`;
    if (!hooks.allowed.has(full)) {
      if (hooks.inert) return new PickledReference('global', module, name);
      if (hooks.refuse) throw hooks.refuse(full);
      fail(`refusing to load global '${full}' from the pickle: only tensor data and plain containers (dict, list, tuple, numbers, strings) can be loaded; nothing is executed`);
    }
    return { kind: 'global', module, name };
  };
  /** REDUCE/NEWOBJ of a placeholder: Python's builtin containers become containers, the rest placeholder objects. */
  const callInert = (fn: PickledReference, args: unknown[]): unknown => {
    if (fn.kind === 'global') {
      const builtin = fn.module === '__builtin__' || fn.module === 'builtins' ? fn.name : null;
      if (builtin === 'getattr' && args.length >= 2 && typeof args[1] === 'string') {
        const owner = args[0];
        // A bound method (getattr(instance, name)) or a class's function (getattr(cls, name)).
        if (owner instanceof PickledReference) return new PickledReference('function', owner.module, `${owner.name}.${args[1]}`);
        return new PickledReference('function', '', String(args[1]));
      }
      if (builtin === 'dict' || (fn.module === 'collections' && (fn.name === 'defaultdict' || fn.name === 'Counter'))) {
        // A dict (a defaultdict's factory is code: dropped); items come by SETITEMS, or as pairs.
        const d: Record<string, Val> = {};
        const init = fn.name === 'dict' ? args[0] : undefined;
        if (Array.isArray(init)) for (const kv of init) if (Array.isArray(kv) && kv.length === 2) d[String(kv[0])] = kv[1];
        else if (init && typeof init === 'object') Object.assign(d, init);
        return d;
      }
      if (builtin === 'set' || builtin === 'frozenset' || builtin === 'list' || builtin === 'tuple') return Array.isArray(args[0]) ? [...(args[0] as Val[])] : [];
      if (fn.module === 'torch' && fn.name === 'device' && typeof args[0] === 'string') {
        return typeof args[1] === 'number' ? `${args[0]}:${args[1]}` : args[0];
      }
    }
    return new PickledReference('object', fn.module, fn.name, args);
  };
  const call = (fn: unknown, args: unknown, what: string): unknown => {
    if (fn instanceof PickledReference && Array.isArray(args)) return callInert(fn, args);
    if (!fn || (fn as GlobalRef).kind !== 'global' || !Array.isArray(args)) fail(`malformed pickle (${what})`);
    return hooks.call(fn as GlobalRef, args);
  };
  const long = (b: Uint8Array): number => {
    if (b.length === 0) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    if (b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) fail(`integer ${v} in the pickle is too large for a JavaScript number`);
    return Number(v);
  };

  for (;;) {
    const at = p;
    const op = u8();
    switch (op) {
      case 0x80: u8(); break; // PROTO
      case 0x95: need(8); break; // FRAME
      case 0x2e: { // STOP
        if (stack.length !== 1) fail(`malformed pickle (${stack.length} values on the stack at STOP)`);
        return stack[0];
      }
      case 0x28: stack.push(MARK); break;
      case 0x29: stack.push([]); break; // EMPTY_TUPLE
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x7d: stack.push({}); break; // EMPTY_DICT
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break;
      case 0x89: stack.push(false); break;
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x4a: stack.push(dv.getInt32(need(4), true)); break; // BININT
      case 0x8a: { const n = u8(); stack.push(long(bytes(n))); break; } // LONG1
      case 0x8b: { const n = u32(); stack.push(long(bytes(n))); break; } // LONG4
      case 0x47: stack.push(dv.getFloat64(need(8), false)); break; // BINFLOAT (big-endian)
      case 0x58: { const n = u32(); stack.push(td.decode(bytes(n))); break; } // BINUNICODE
      case 0x8c: { const n = u8(); stack.push(td.decode(bytes(n))); break; } // SHORT_BINUNICODE
      case 0x8d: { const n = Number(dv.getBigUint64(need(8), true)); stack.push(td.decode(bytes(n))); break; } // BINUNICODE8
      case 0x54: { const n = u32(); stack.push(td.decode(bytes(n))); break; } // BINSTRING
      case 0x55: { const n = u8(); stack.push(td.decode(bytes(n))); break; } // SHORT_BINSTRING
      case 0x42: { const n = u32(); stack.push(bytes(n).slice()); break; } // BINBYTES
      case 0x43: { const n = u8(); stack.push(bytes(n).slice()); break; } // SHORT_BINBYTES
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x68: case 0x6a: { // BINGET, LONG_BINGET
        const k = op === 0x68 ? u8() : u32();
        if (!memo.has(k)) fail(`malformed pickle (memo key ${k} missing)`);
        stack.push(memo.get(k));
        break;
      }
      case 0x74: stack.push(popMark()); break; // TUPLE
      case 0x85: stack.push([pop()]); break;
      case 0x86: { const b = pop(), a = pop(); stack.push([a, b]); break; }
      case 0x87: { const c = pop(), b = pop(), a = pop(); stack.push([a, b, c]); break; }
      case 0x6c: stack.push(popMark()); break; // LIST
      case 0x64: { const kv = popMark(); const d = {}; setItems(d, kv); stack.push(d); break; } // DICT
      case 0x61: { const v = pop(); const l = top(); if (!Array.isArray(l)) fail('malformed pickle (APPEND to a non-list)'); l.push(v); break; }
      case 0x65: { const vs = popMark(); const l = top(); if (!Array.isArray(l)) fail('malformed pickle (APPENDS to a non-list)'); l.push(...vs); break; }
      case 0x73: { const v = pop(), k = pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const kv = popMark(); setItems(top(), kv); break; } // SETITEMS
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      case 0x63: { const m = line(), n = line(); stack.push(global(m, n)); break; } // GLOBAL
      case 0x93: { const n = pop(), m = pop(); stack.push(global(String(m), String(n))); break; } // STACK_GLOBAL
      case 0x52: { // REDUCE
        const args = pop(), fn = pop();
        stack.push(call(fn, args, 'REDUCE needs a global and an argument tuple'));
        break;
      }
      case 0x81: { // NEWOBJ: cls.__new__(cls, *args), only for allowed globals (else an inert placeholder)
        const args = pop(), cls = pop();
        stack.push(call(cls, args, 'NEWOBJ needs a class and an argument tuple'));
        break;
      }
      case 0x92: { // NEWOBJ_EX: cls.__new__(cls, *args, **kwargs) (protocol 4); keyword arguments only on placeholders
        const kwargs = pop(), args = pop(), cls = pop();
        const out = call(cls, args, 'NEWOBJ_EX needs a class and an argument tuple');
        if (out instanceof PickledReference && kwargs && typeof kwargs === 'object' && Object.keys(kwargs).length) out.state = { kwargs };
        stack.push(out);
        break;
      }
      case 0x62: { // BUILD: object state (e.g. OrderedDict's _metadata); containers and tensors ignore it
        const state = pop();
        const obj = top();
        if (!obj || typeof obj !== 'object') fail('malformed pickle (BUILD on a non-object)');
        if (obj instanceof PickledReference) obj.state = state;
        break;
      }
      case 0x8f: stack.push([]); break; // EMPTY_SET (a set loads as an array)
      case 0x90: { const vs = popMark(); const l = top(); if (!Array.isArray(l)) fail('malformed pickle (ADDITEMS to a non-set)'); l.push(...vs); break; }
      case 0x91: stack.push(popMark()); break; // FROZENSET
      case 0x51: stack.push(hooks.persistentLoad(pop())); break; // BINPERSID
      default:
        fail(`unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')} ('${String.fromCharCode(op)}') at byte ${at}`);
    }
  }
}
