// Self time per function from a .cpuprofile: node top.mjs file [n]
import { readFileSync } from "node:fs"
const p = JSON.parse(readFileSync(process.argv[2], "utf8"))
const n = Number(process.argv[3] ?? 40)
const byId = new Map(p.nodes.map((x) => [x.id, x]))
const self = new Map()
const dt = p.timeDeltas
let total = 0
for (let i = 0; i < p.samples.length; i++) {
  const node = byId.get(p.samples[i]); const t = dt[i] ?? 0
  const cf = node.callFrame
  const key = `${cf.functionName || "(anon)"} ${cf.url.replace(/.*node_modules\/\.pnpm\/[^/]+\/node_modules\//, "").replace(/.*\/work\/main\//, "")}:${cf.lineNumber + 1}`
  self.set(key, (self.get(key) ?? 0) + t); total += t
}
const rows = [...self].sort((a, b) => b[1] - a[1]).slice(0, n)
for (const [k, v] of rows) console.log(`${(v / total * 100).toFixed(1).padStart(5)}%  ${k}`)
