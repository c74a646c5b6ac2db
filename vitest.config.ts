import { defineConfig } from "vitest/config"
import { alias } from "./vitest.shared.js"

export default defineConfig({
  resolve: { alias },
  test: {
    include: ["packages/*/test/**/*.test.ts", "scratchpad/**/*.test.ts", "docs/**/*.test.ts"],
    // Forks isolate the native addon per test file: a crash fails one file, not the run.
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ["default"]
  }
})
