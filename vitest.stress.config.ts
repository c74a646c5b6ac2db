import { defineConfig } from "vitest/config"
import { alias } from "./vitest.shared.js"

// `pnpm stress`: the heavy reliability runs (1 GiB integrity, 1M mixed ops, worker threads, sanitizer
// workloads). Files are named `*.stress.ts` so the default `npm test` config never picks them up.
// One file at a time: they measure RSS and fd counts, which concurrent files would disturb.
export default defineConfig({
  resolve: { alias },
  test: {
    include: ["packages/*/test/stress/**/*.stress.ts"],
    pool: "forks",
    fileParallelism: false,
    testTimeout: 30 * 60_000,
    hookTimeout: 5 * 60_000,
    env: { AURAIO_STRESS: "1" },
    reporters: ["default"]
  }
})
