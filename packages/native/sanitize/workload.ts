// A short workload for the LeakSanitizer run (sanitize/run.mjs): engines opened and closed, mixed ops
// with cancels, batch reads, registered buffers, aligned allocations collected by the GC, an engine
// closed with ops still blocked. Ends with process.exit(): LSan's exit-time check only runs then.
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { allocAligned, openEngine } from "../src/index.js"
import { gc } from "../test/stress/support/accounting.js"
import { runMixedLoad } from "../test/stress/support/nativeLoad.js"

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "auraio-lsan-"))
let ops = 0
for (let round = 0; round < 3; round++) {
  const e = openEngine({ rings: 2, entries: 64 })
  const res = await runMixedLoad(e, { dir: fs.mkdtempSync(path.join(dir, `r${round}-`)), ops: 3000, concurrency: 32, seed: round })
  if (res.errors.length > 0 || res.ops !== 3000) throw new Error(`workload failed: ${res.errors[0]}`)
  ops += res.ops
  // Batch reads and fixed buffers.
  const file = path.join(dir, `r${round}-batch.bin`)
  fs.writeFileSync(file, new Uint8Array(1 << 20).fill(7))
  const fd = fs.openSync(file, "r")
  const buf = allocAligned(64 * 4096)
  const offs = new Float64Array(64).map((_, i) => i * 4096)
  const lens = new Float64Array(64).fill(4096)
  await new Promise<void>((resolve) => {
    let left = 64
    e.raw.readBatch(fd, buf, offs, lens, offs, 64, () => --left === 0 && resolve())
  })
  ops += 64
  const reg = e.registerBuffers([allocAligned(1 << 16)])
  if (reg.registered) e.unregisterBuffers()
  // Close with blocked reads outstanding: the bound cancels them.
  const fifo = path.join(dir, `r${round}.fifo`)
  execFileSync("mkfifo", [fifo])
  const ffd = fs.openSync(fifo, fs.constants.O_RDWR)
  for (let i = 0; i < 4; i++) e.raw.read(ffd, new Uint8Array(16), 16, -1, () => void ops++)
  await e.close(20)
  fs.closeSync(ffd)
  fs.closeSync(fd)
  for (let i = 0; i < 200; i++) allocAligned(8192)
  gc()
}
// Shared rings: two engines on the process group run the mixed load side by side, one closes with a
// blocked read (cancelled by its bound) while the other keeps going; the group goes with the last one.
{
  const a = openEngine({ shared: true, entries: 64 })
  const b = openEngine({ shared: true })
  const fifo = path.join(dir, "shared.fifo")
  execFileSync("mkfifo", [fifo])
  const ffd = fs.openSync(fifo, fs.constants.O_RDWR)
  const runs = await Promise.all([
    runMixedLoad(a, { dir: fs.mkdtempSync(path.join(dir, "sa-")), ops: 3000, concurrency: 32, seed: 11 }),
    runMixedLoad(b, { dir: fs.mkdtempSync(path.join(dir, "sb-")), ops: 3000, concurrency: 32, seed: 12 }),
    (async () => {
      for (let i = 0; i < 4; i++) a.raw.read(ffd, new Uint8Array(16), 16, -1, () => void ops++)
    })()
  ])
  for (const res of runs.slice(0, 2) as Array<Awaited<ReturnType<typeof runMixedLoad>>>)
    if (res.errors.length > 0 || res.ops !== 3000) throw new Error(`shared workload failed: ${res.errors[0]}`)
  ops += 6000
  await a.close(20)
  await b.close()
  fs.closeSync(ffd)
  gc()
}
fs.rmSync(dir, { recursive: true, force: true })
console.log(`[reliability] lsan-workload ops=${ops}`)
process.exit(0)
