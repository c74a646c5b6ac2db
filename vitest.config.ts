import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url))

export default defineConfig({
  resolve: {
    alias: {
      "@auraio/native": src("native"),
      "@auraio/core": src("core"),
      "@auraio/platform-layer": src("platform-layer")
    }
  },
  test: {
    include: ["packages/*/test/**/*.test.ts", "scratchpad/**/*.test.ts", "docs/**/*.test.ts"],
    // Forks isolate the native addon per test file: a crash fails one file, not the run.
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ["default"]
  }
})
