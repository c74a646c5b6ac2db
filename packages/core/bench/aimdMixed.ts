/**
 * Reads and writes in one engine: does one shared AIMD limit hurt reads when writes are slow, against
 * separate limits? (A script, not a test.)
 *
 *   node_modules/.bin/tsx packages/core/bench/aimdMixed.ts
 *
 * 4 KiB O_DIRECT random reads, 128 outstanding, beside 128 KiB O_DIRECT random writes, 16
 * outstanding, zero-config AIMD: "shared" = one engine (one ring, one limit for both kinds);
 * "split" = reads and writes on two engines, each ring with its own controller (what per-kind limits
 * would give); "readsOnly" = the reads alone. Read latency is measured in JS, submit → callback
 * (the app's view, including the wait in the limit queue). Uses the aimd bench's files
 * ($TMPDIR/auraio-aimd-bench: run `aimd.ts --only noisy` once to create them). 3 interleaved rounds.
 */


import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Aimd from "../src/Aimd.js"
import { allocAligned, openEngine } from "../../native/src/index.js"
const DIR = path.join(os.tmpdir(), "auraio-aimd-bench")
const RFILE = path.join(DIR, "aimd-1g.dat"), WFILE = path.join(DIR, "neighbour.dat")
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const q = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0 }
const run = async (mode: "shared" | "split" | "readsOnly", secs = 4) => {
  const re = openEngine({ rings: 1, entries: 256 })
  const we = mode === "split" ? openEngine({ rings: 1, entries: 256 }) : re
  const fibers = [Effect.runFork(Effect.scoped(Effect.zipRight(Aimd.run(Aimd.nativeSampler(re)), Effect.never)))]
  if (we !== re) fibers.push(Effect.runFork(Effect.scoped(Effect.zipRight(Aimd.run(Aimd.nativeSampler(we)), Effect.never))))
  const rfd = fs.openSync(RFILE, fs.constants.O_RDONLY | fs.constants.O_DIRECT)
  const wfd = fs.openSync(WFILE, fs.constants.O_RDWR | fs.constants.O_DIRECT)
  let running = true, inflight = 0
  const lat: number[] = []; let reads = 0, writes = 0
  const t0 = performance.now()
  const rd = (buf: Uint8Array) => { inflight++; const t = performance.now(); re.raw.read(rfd, buf, 4096, Math.floor(Math.random() * 262144) * 4096, () => { inflight--; const now = performance.now(); if (now - t0 > 1500) { lat.push(now - t); reads++ } if (running) rd(buf) }) }
  const wr = (buf: Uint8Array) => { inflight++; we.raw.write(wfd, buf, 131072, Math.floor(Math.random() * 4096) * 131072, () => { inflight--; if (performance.now() - t0 > 1500) writes++; if (running) wr(buf) }) }
  for (let i = 0; i < 128; i++) rd(allocAligned(4096))
  if (mode !== "readsOnly") for (let i = 0; i < 16; i++) wr(allocAligned(131072))
  await sleep(secs * 1000)
  running = false
  while (inflight > 0) await sleep(5)
  for (const f of fibers) await Effect.runPromise(Fiber.interrupt(f))
  fs.closeSync(rfd); fs.closeSync(wfd)
  await re.close(5000); if (we !== re) await we.close(5000)
  const s = (secs - 1.5)
  return { reads: reads / s, writes: writes / s, p50: q(lat, 0.5), p99: q(lat, 0.99) }
}
const modes = ["readsOnly", "shared", "split"] as const
const res: Record<string, Array<Awaited<ReturnType<typeof run>>>> = {}
for (let r = 0; r < 3; r++) for (const m of (r % 2 ? [...modes].reverse() : modes)) {
  const x = await run(m)
  ;(res[m] ??= []).push(x)
  console.log(`round ${r + 1} ${m.padEnd(9)} reads ${(x.reads / 1000).toFixed(1)}k/s p50 ${x.p50.toFixed(2)} ms p99 ${x.p99.toFixed(2)} ms writes ${(x.writes * 128 / 1024).toFixed(0)} MiB/s`)
}
for (const m of modes) {
  const med = (f: (x: Awaited<ReturnType<typeof run>>) => number) => q(res[m]!.map(f), 0.5)
  console.log(`median ${m.padEnd(9)} reads ${(med((x) => x.reads) / 1000).toFixed(1)}k/s p99 ${med((x) => x.p99).toFixed(2)} ms writes ${(med((x) => x.writes) * 128 / 1024).toFixed(0)} MiB/s`)
}
