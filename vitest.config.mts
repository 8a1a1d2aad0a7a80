import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup-gc.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30000,
  },
})
