/**
 * The Node peers of the 4 KiB random-read benchmark, measured the way the brief's table was: a warm
 * 1 GiB file, 32 reads kept in flight; Node's `fs.read` (callback) and `FileHandle.read` on the libuv
 * thread pool and with `UV_USE_IO_URING=1` (libuv's own io_uring, opt-in on Node 20), and Effect's
 * NodeFileSystem with one File per fiber. Each case runs in a fresh child process (the env var is read
 * at start-up), in interleaved rounds; medians reported.
 *
 *   node_modules/.bin/tsx scripts/bench/node-peers.ts [--rounds 3] [--seconds 3]
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { performance } from "node:perf_hooks"
import { fileURLToPath } from "node:url"
import { LatencyHistogram } from "../../packages/platform-layer/src/check/histogram.js"
import { writeResult } from "./result.js"

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : undefined
}
const ROUNDS = Number(arg("rounds") ?? 3)
const SECONDS = Number(arg("seconds") ?? 3)
const FILE = process.env["BENCH_FILE"] ?? path.join(os.tmpdir(), "auraio-bench", "randread-1g.bin")
const SIZE = 1 << 30
const BS = 4096
const BLOCKS = SIZE / BS

interface Case {
  readonly name: string
  readonly kind: "fs.read" | "FileHandle.read" | "NodeFileSystem"
  readonly concurrency: number
  readonly uring: boolean
}
const cases: ReadonlyArray<Case> = [
  { name: "Node fs.read (callback), c32", kind: "fs.read", concurrency: 32, uring: false },
  { name: "Node fs.read (callback), c32, UV_USE_IO_URING=1", kind: "fs.read", concurrency: 32, uring: true },
  { name: "Node FileHandle.read, c32", kind: "FileHandle.read", concurrency: 32, uring: false },
  { name: "Node FileHandle.read, c32, UV_USE_IO_URING=1", kind: "FileHandle.read", concurrency: 32, uring: true },
  { name: "NodeFileSystem, one File per fiber, c8", kind: "NodeFileSystem", concurrency: 8, uring: false },
  { name: "NodeFileSystem, one File per fiber, c32", kind: "NodeFileSystem", concurrency: 32, uring: false }
]

const rng = (seed: number) => {
  let s = seed >>> 0 || 1
  return () => {
    s ^= s << 13
    s >>>= 0
    s ^= s >>> 17
    s ^= s << 5
    s >>>= 0
    return (s % BLOCKS) * BS
  }
}

// == child: one case, one process

const child = async (c: Case) => {
  const hist = new LatencyHistogram()
  let ops = 0
  const deadline = performance.now() + SECONDS * 1000
  const t0 = performance.now()
  if (c.kind === "fs.read") {
    const fd = fs.openSync(FILE, "r")
    await new Promise<void>((resolve) => {
      let live = c.concurrency
      for (let w = 0; w < c.concurrency; w++) {
        const buf = Buffer.allocUnsafe(BS)
        const next = rng(w + 1)
        const loop = () => {
          if (performance.now() >= deadline) return --live === 0 && resolve()
          const s = performance.now()
          fs.read(fd, buf, 0, BS, next(), (err) => {
            if (err) throw err
            hist.recordMicros((performance.now() - s) * 1000)
            ops++
            loop()
          })
        }
        loop()
      }
    })
  } else if (c.kind === "FileHandle.read") {
    const fh = await fs.promises.open(FILE, "r")
    await Promise.all(Array.from({ length: c.concurrency }, async (_, w) => {
      const buf = Buffer.allocUnsafe(BS)
      const next = rng(w + 1)
      while (performance.now() < deadline) {
        const s = performance.now()
        await fh.read(buf, 0, BS, next())
        hist.recordMicros((performance.now() - s) * 1000)
        ops++
      }
    }))
    await fh.close()
  } else {
    await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const fsys = yield* FileSystem.FileSystem
      yield* Effect.forEach(Array.from({ length: c.concurrency }, (_, w) => w), (w) =>
        Effect.gen(function*() {
          const file = yield* fsys.open(FILE, { flag: "r" })
          const buf = new Uint8Array(BS)
          const next = rng(w + 1)
          while (performance.now() < deadline) {
            const s = performance.now()
            yield* file.seek(FileSystem.Size(next()), "start")
            yield* file.read(buf)
            hist.recordMicros((performance.now() - s) * 1000)
            ops++
          }
        }), { concurrency: "unbounded", discard: true })
    })).pipe(Effect.provide(NodeFileSystem.layer)))
  }
  const secs = (performance.now() - t0) / 1000
  process.stdout.write(JSON.stringify({ iops: ops / secs, p50us: hist.percentile(50), p99us: hist.percentile(99) }) + "\n")
}

// == parent: interleaved rounds of child processes

const ensureFile = () => {
  if (fs.existsSync(FILE) && fs.statSync(FILE).size === SIZE) return
  fs.mkdirSync(path.dirname(FILE), { recursive: true })
  const fd = fs.openSync(FILE, "w")
  const chunk = Buffer.alloc(8 << 20)
  for (let off = 0; off < SIZE; off += chunk.length) {
    for (let j = 0; j < chunk.length; j += 4096) chunk.writeUInt32LE((off + j) >>> 12, j)
    fs.writeSync(fd, chunk, 0, chunk.length, off)
  }
  fs.closeSync(fd)
}
const warm = () => {
  const fd = fs.openSync(FILE, "r")
  const buf = Buffer.allocUnsafe(8 << 20)
  for (let off = 0; off < SIZE; off += buf.length) fs.readSync(fd, buf, 0, buf.length, off)
  fs.closeSync(fd)
}
const median = (xs: ReadonlyArray<number>) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

const parent = () => {
  ensureFile()
  const self = fileURLToPath(import.meta.url)
  const tsx = path.resolve(path.dirname(self), "..", "..", "node_modules", ".bin", "tsx")
  const results = new Map<string, Array<{ iops: number; p50us: number; p99us: number }>>()
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < cases.length; k++) {
      const c = cases[(k + round) % cases.length]!
      warm()
      const r = spawnSync(tsx, [self, "--case", c.name, "--seconds", String(SECONDS)], {
        encoding: "utf8",
        env: { ...process.env, UV_USE_IO_URING: c.uring ? "1" : "0" }
      })
      if (r.status !== 0) throw new Error(`${c.name} failed: ${r.stderr}`)
      const m = JSON.parse(r.stdout.trim().split("\n").pop()!) as { iops: number; p50us: number; p99us: number }
      ;(results.get(c.name) ?? results.set(c.name, []).get(c.name)!).push(m)
      console.log(`round ${round + 1}/${ROUNDS}  ${c.name.padEnd(50)} ${Math.round(m.iops).toLocaleString("en-US").padStart(9)} IOPS  p99 ${m.p99us.toFixed(0)} µs`)
    }
  }
  const base = median(results.get(cases[0]!.name)!.map((r) => r.iops))
  const rows = cases.map((c) => {
    const rs = results.get(c.name)!
    const iops = median(rs.map((r) => r.iops))
    return [c.name, Math.round(iops), Number(median(rs.map((r) => r.p50us)).toFixed(1)), Number(median(rs.map((r) => r.p99us)).toFixed(1)), Number((iops / base).toFixed(2))]
  })
  const file = writeResult({
    id: "node-randread",
    title: "Node peers: 4 KiB random reads, warm 1 GiB file",
    command: `node_modules/.bin/tsx scripts/bench/node-peers.ts --rounds ${ROUNDS} --seconds ${SECONDS}`,
    columns: ["peer", "IOPS", "p50 µs", "p99 µs", "vs fs.read"],
    rows,
    notes: [`${ROUNDS} interleaved rounds of ${SECONDS} s, medians; each case in a fresh process; file re-read before each case.`]
  })
  console.log(`\nwrote ${file}`)
}

const which = arg("case")
if (which) {
  const c = cases.find((x) => x.name === which)
  if (!c) throw new Error(`unknown case ${which}`)
  void child(c)
} else parent()
