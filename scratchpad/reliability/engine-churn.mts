// Repro: each openEngine()+close() keeps ~64 KiB (the native Host and its shared counter/histogram/pairs
// blocks) until the Node environment ends. Run: node_modules/.bin/tsx scratchpad/reliability/engine-churn.mts
import { openEngine } from "../../packages/native/src/index.js"
import { gc, rssBytes, mib } from "../../packages/native/test/stress/support/accounting.js"
const round = async (n: number) => { for (let i = 0; i < n; i++) { const e = openEngine({ rings: 1, entries: 8 }); await e.close() } }
await round(200); gc(); await new Promise((r) => setTimeout(r, 100)); gc()
const r0 = rssBytes()
await round(2000); gc(); await new Promise((r) => setTimeout(r, 100)); gc()
console.log("RSS growth over 2000 engine open/close:", mib(rssBytes() - r0), "=", ((rssBytes() - r0) / 2000 / 1024).toFixed(1), "KiB per engine")
process.exit(0)
