// Types for gen-signatures.mjs (a plain-JS generator that test/strict-args.test.ts also imports).
/** The generated files (absolute path -> text) for the current sources. */
export declare function generate(): Map<string, string>;
