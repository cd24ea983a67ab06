// PyTorch's snake_case names on torchlet's classes: torchlet spells them in camelCase (zero_grad ->
// zeroGrad), and where JavaScript would give undefined and a bare "is not a function", reading the
// snake_case form of a method a class has throws a TypeError that names the camelCase one. Assigning
// such a name still defines an ordinary own property (user subclasses may use any field names).

/** PyTorch's spelling of a camelCase name: requiresGrad_ -> requires_grad_. */
export function snakeOf(name: string): string { return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`); }

/**
 * Defines, on each class's prototype, the snake_case form of every camelCase method and accessor of
 * its prototype chain (those it lacks) as a getter throwing a TypeError with the camelCase name.
 */
export function hintSnakeCase(...classes: { prototype: object; name: string }[]): void {
  for (const cls of classes) {
    const names = new Set<string>();
    for (let p: object | null = cls.prototype; p && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
      for (const n of Object.getOwnPropertyNames(p)) names.add(n);
    }
    for (const n of names) {
      const s = snakeOf(n);
      // (Names that start upper-case, Tensor's T and H, have no snake_case form in PyTorch.)
      if (s === n || s.startsWith('_') || n === 'constructor' || s in cls.prototype) continue;
      Object.defineProperty(cls.prototype, s, {
        configurable: true, enumerable: false,
        get(this: object): never {
          throw new TypeError(`${this.constructor?.name ?? cls.name}.${s} is not defined: torchlet spells PyTorch's names in camelCase, use .${n}`);
        },
        set(this: object, v: unknown) { Object.defineProperty(this, s, { value: v, writable: true, configurable: true, enumerable: true }); },
      });
    }
  }
}

/**
 * PyTorch methods torchlet has no counterpart for, on a class: reading one throws a TypeError with
 * `advice` (what to write instead) rather than JavaScript's bare "is not a function".
 */
export function hintMissing(cls: { prototype: object; name: string }, advice: Record<string, string>): void {
  for (const [name, text] of Object.entries(advice)) {
    if (name in cls.prototype) continue;
    Object.defineProperty(cls.prototype, name, {
      configurable: true, enumerable: false,
      get(this: object): never { throw new TypeError(`${this.constructor?.name ?? cls.name}.${name} does not exist in torchlet: ${text}`); },
      set(this: object, v: unknown) { Object.defineProperty(this, name, { value: v, writable: true, configurable: true, enumerable: true }); },
    });
  }
}

/**
 * The same hint for instance fields (hintSnakeCase sees only the prototype chain): reading the
 * snake_case form of each listed camelCase field (param_groups for paramGroups, last_epoch for
 * lastEpoch) throws a TypeError naming the camelCase one. PyTorch code reads these attributes
 * directly, and JavaScript would give undefined and a confusing error later.
 */
export function hintSnakeCaseFields(cls: { prototype: object; name: string }, fields: readonly string[]): void {
  for (const n of fields) {
    const s = snakeOf(n);
    if (s === n || s in cls.prototype) continue;
    Object.defineProperty(cls.prototype, s, {
      configurable: true, enumerable: false,
      get(this: object): never {
        throw new TypeError(`${this.constructor?.name ?? cls.name}.${s} is not defined: torchlet spells PyTorch's names in camelCase, use .${n}`);
      },
      set(this: object, v: unknown) { Object.defineProperty(this, s, { value: v, writable: true, configurable: true, enumerable: true }); },
    });
  }
}
