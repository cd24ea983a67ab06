// Vitest configuration: node environment, one fork per file, generous timeouts for slow
// software-rendered WebGPU (SwiftShader) runs.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
