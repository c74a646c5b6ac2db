// Engine churn: each openEngine()+close() must give its native memory back once JS drops the engine.
// Prints the addon's live object counts and RSS growth per engine after 2000 cycles (after a warm-up;
// finalizers of collected engines run after a GC, so we GC and yield a few times before measuring).
// Run: node_modules/.bin/tsx scratchpad/reliability/engine-churn.mts
import { nativeObjects, openEngine } from "../../packages/native/src/index.js"
import { gc, mib, rssBytes } from "../../packages/native/test/stress/support/accounting.js"
const settle = async () => {
  for (let i = 0; i < 20; i++) {
    gc()
    await new Promise((r) => setImmediate(r))
  }
}
const round = async (n: number) => {
  for (let i = 0; i < n; i++) {
    const e = openEngine({ rings: 1, entries: 8 })
    await e.close()
  }
}
await round(500)
await settle()
const r0 = rssBytes()
await round(2000)
const beforeGc = nativeObjects()
await settle()
const growth = rssBytes() - r0
console.log("live native objects before GC:", beforeGc, "after GC:", nativeObjects())
console.log("RSS growth over 2000 engine open/close:", mib(growth), "=", (growth / 2000 / 1024).toFixed(2), "KiB per engine")
// A second round reuses what malloc kept from the first: growth here is what a real leak would show.
const r1 = rssBytes()
await round(2000)
await settle()
const growth2 = rssBytes() - r1
console.log("RSS growth over 2000 more:", mib(growth2), "=", (growth2 / 2000 / 1024).toFixed(2), "KiB per engine")
process.exit(0)
