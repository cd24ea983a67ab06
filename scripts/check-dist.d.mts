// Types for check-dist.mjs (a plain-JS build script that the tests also import).
export declare function findAnyTypes(dtsText: string, fileName?: string): string[];
export declare function dtsDependencies(dtsText: string): string[];
export declare function jsImports(jsText: string): { static: string[]; dynamic: string[] };
export declare const runtimeOnlyModule: (id: string) => boolean;
export declare function checkDist(dir?: string): string[];
