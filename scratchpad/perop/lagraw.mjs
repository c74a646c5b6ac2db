import { openEngine } from "@auraio/native"
import { openSync } from "node:fs"
import { monitorEventLoopDelay } from "node:perf_hooks"
const e = openEngine({})
const fd = openSync("/tmp/auraio-bench-1g.bin", "r")
let cursor = 0, count = 0, stop = false, ticks = 0, live = 32
const next = () => ((cursor = (cursor * 1103515245 + 12345) & 0x3ffff) * 4096)
const h = monitorEventLoopDelay({ resolution: 1 }); h.enable()
const iv = setInterval(() => ticks++, 1)
setTimeout(() => (stop = true), 2000)
for (let i = 0; i < 32; i++) {
  const buf = new Uint8Array(4096)
  const cb = () => { count++; if (!stop) e.raw.read(fd, buf, 4096, next(), cb); else if (--live === 0) { h.disable(); clearInterval(iv); console.log(`raw: ${(count / 2000).toFixed(0)}k ops/s, ticks ${ticks}, loop delay p50 ${(h.percentile(50) / 1e6).toFixed(2)} ms p99 ${(h.percentile(99) / 1e6).toFixed(2)} max ${(h.max / 1e6).toFixed(2)}`); e.close(1000) } }
  e.raw.read(fd, buf, 4096, next(), cb)
}
