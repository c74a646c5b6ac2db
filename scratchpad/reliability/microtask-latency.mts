// Repro: a raw op submitted from a promise continuation of a completion callback waits for a backstop
// timer (tens of ms) instead of being flushed at once. Run: node_modules/.bin/tsx scratchpad/reliability/microtask-latency.mts
import { openEngine } from "../../packages/native/src/index.js"
import * as fs from "node:fs"
fs.writeFileSync("/tmp/chain.bin", new Uint8Array(1 << 20))
const e = openEngine({ rings: 2 })
const fd = fs.openSync("/tmp/chain.bin", "r")
const buf = new Uint8Array(4096)
let n = 0
const t0 = performance.now()
const next = () => {
  if (n === 200) { console.log("chained from callback: us/op", ((performance.now() - t0) * 1000 / 200).toFixed(1)); return promiseChain() }
  n++
  e.raw.read(fd, buf, 4096, 0, () => next())
}
const promiseChain = async () => {
  const t1 = performance.now()
  for (let i = 0; i < 200; i++) await new Promise((r) => e.raw.read(fd, buf, 4096, 0, r))
  console.log("chained via promise: us/op", ((performance.now() - t1) * 1000 / 200).toFixed(1))
  const t2 = performance.now()
  for (let i = 0; i < 200; i++) await new Promise((r) => setImmediate(() => e.raw.read(fd, buf, 4096, 0, r)))
  console.log("chained via setImmediate: us/op", ((performance.now() - t2) * 1000 / 200).toFixed(1))
  await e.close()
}
next()
