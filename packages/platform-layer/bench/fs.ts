/**
 * AuraFileSystem.layer vs NodeFileSystem.layer, side by side in one process, interleaved rounds,
 * medians. Not a test: run it by hand.
 *
 *   node_modules/.bin/tsx packages/platform-layer/bench/fs.ts [--rounds 7] [--seconds 1.5] [--only read,stream,readFile,writeFile]
 *
 * Workloads (page cache warm, files in os.tmpdir()/auraio-bench):
 * - File.read: 4 KiB at random offsets of a 1 GiB file, one File per fiber (seek + read), 8 and 32 fibers
 * - stream: all of a 1 GiB file through FileSystem.stream (64 KiB chunks), and Node's fs.createReadStream
 * - readFile: a 64 MiB file
 * - writeFile: 64 MiB over an existing 64 MiB file (the usual "save" pattern)
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Stream from "effect/Stream"
import * as Crypto from "node:crypto"
import * as NFS from "node:fs"
import * as OS from "node:os"
import * as Path from "node:path"
// The package's source (tsx compiles it); @auraio/core and @auraio/native load from their dist/.
import { writeResult } from "../../../scripts/bench/result.js"
import { AuraFileSystem } from "../src/index.js"

const argValue = (name: string) => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : undefined
}
const ROUNDS = Number(argValue("rounds") ?? 7)
const SECONDS = Number(argValue("seconds") ?? 1.5)
const ONLY = new Set((argValue("only") ?? "read,stream,readFile,writeFile").split(","))

const GiB = 1024 * 1024 * 1024
const MiB = 1024 * 1024
const dir = Path.join(OS.tmpdir(), "auraio-bench")
const big = Path.join(dir, "file-1g")
const mid = Path.join(dir, "file-64m")

const ensureFile = (path: string, size: number) => {
  if (NFS.existsSync(path) && NFS.statSync(path).size === size) return
  NFS.mkdirSync(dir, { recursive: true })
  const fd = NFS.openSync(path, "w")
  const block = Crypto.randomBytes(8 * MiB)
  for (let off = 0; off < size; off += block.length) NFS.writeSync(fd, block, 0, Math.min(block.length, size - off), off)
  NFS.closeSync(fd)
}

/** Read the file once so every peer starts from a warm page cache. */
const warm = (path: string) => {
  const fd = NFS.openSync(path, "r")
  const buf = Buffer.allocUnsafe(8 * MiB)
  let off = 0
  for (;;) {
    const n = NFS.readSync(fd, buf, 0, buf.length, off)
    if (n === 0) break
    off += n
  }
  NFS.closeSync(fd)
}

const median = (xs: ReadonlyArray<number>) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

// == workloads, written against FileSystem only

const randomReads = (concurrency: number, seconds: number) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const blocks = GiB / 4096
    let ops = 0
    const start = performance.now()
    const deadline = start + seconds * 1000
    const worker = Effect.scoped(Effect.gen(function*() {
      const file = yield* fs.open(big)
      const buf = new Uint8Array(4096)
      const offsets = new Float64Array(4096)
      for (let i = 0; i < offsets.length; i++) offsets[i] = Math.floor(Math.random() * blocks) * 4096
      let i = 0
      while (performance.now() < deadline) {
        // 64 reads between clock checks keeps the loop's own cost out of the measure.
        for (let k = 0; k < 64; k++) {
          yield* file.seek(offsets[i++ & 4095]!, "start")
          yield* file.read(buf)
        }
        ops += 64
      }
    }))
    yield* Effect.all(Array.from({ length: concurrency }, () => worker), { concurrency })
    return ops / ((performance.now() - start) / 1000)
  })

const streamAll = Effect.gen(function*() {
  const fs = yield* FileSystem.FileSystem
  const start = performance.now()
  const bytes = yield* Stream.runFold(fs.stream(big), 0, (n, chunk) => n + chunk.length)
  if (bytes !== GiB) throw new Error(`stream read ${bytes} bytes`)
  return bytes / ((performance.now() - start) / 1000)
})

const createReadStream = () =>
  new Promise<number>((resolve, reject) => {
    const start = performance.now()
    let bytes = 0
    NFS.createReadStream(big)
      .on("data", (chunk) => {
        bytes += chunk.length
      })
      .on("error", reject)
      .on("end", () => resolve(bytes / ((performance.now() - start) / 1000)))
  })

const readFileOnce = Effect.gen(function*() {
  const fs = yield* FileSystem.FileSystem
  const start = performance.now()
  const data = yield* fs.readFile(mid)
  if (data.length !== 64 * MiB) throw new Error("short readFile")
  return (performance.now() - start) / 1000
})

const payload = new Uint8Array(Crypto.randomBytes(64 * MiB))
const writeFileOnce = (path: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const start = performance.now()
    yield* fs.writeFile(path, payload)
    return (performance.now() - start) / 1000
  })

// == the run

type Runtime = ManagedRuntime.ManagedRuntime<FileSystem.FileSystem, never>

const main = async () => {
  ensureFile(big, GiB)
  ensureFile(mid, 64 * MiB)
  const node: Runtime = ManagedRuntime.make(NodeFileSystem.layer)
  const aura = ManagedRuntime.make(AuraFileSystem.layer)
  const backend = await aura.runPromise(
    Effect.map(AuraFileSystem.Backend, (b) => b._tag === "IoUring" ? `io_uring (${b.engine.ringCount} rings)` : `FALLBACK: ${b.reason}`)
  )
  console.log(`node ${process.version}, ${OS.cpus().length} CPUs, kernel ${OS.release()}; AuraFileSystem backend: ${backend}`)
  console.log(`${ROUNDS} interleaved rounds (first one discarded as warm-up), ${SECONDS}s per File.read measure\n`)

  const results: Record<string, Record<string, Array<number>>> = {}
  const record = (workload: string, peer: string, value: number) => {
    ;((results[workload] ??= {})[peer] ??= []).push(value)
  }

  for (let round = 0; round <= ROUNDS; round++) {
    const keep = round > 0
      const order: Array<[string, Runtime]> = round % 2
      ? [["node", node], ["aura", aura as Runtime]]
      : [["aura", aura as Runtime], ["node", node]]
    if (ONLY.has("read")) {
      warm(big)
      for (const c of [8, 32]) {
        for (const [name, rt] of order) {
          const v = await rt.runPromise(randomReads(c, SECONDS))
          if (keep) record(`File.read 4 KiB random, c${c} (ops/s)`, name, v)
        }
      }
    }
    if (ONLY.has("stream")) {
      warm(big)
      for (const [name, rt] of order) {
        const v = await rt.runPromise(streamAll)
        if (keep) record("stream 1 GiB (GB/s)", name, v / 1e9)
      }
      const v = await createReadStream()
      if (keep) record("stream 1 GiB (GB/s)", "createReadStream", v / 1e9)
    }
    if (ONLY.has("readFile")) {
      warm(mid)
      for (const [name, rt] of order) {
        const s = await rt.runPromise(readFileOnce)
        if (keep) record("readFile 64 MiB (ms)", name, s * 1000)
      }
    }
    if (ONLY.has("writeFile")) {
      for (const [name, rt] of order) {
        const s = await rt.runPromise(writeFileOnce(Path.join(dir, `write-${name}`)))
        if (keep) record("writeFile 64 MiB (ms)", name, s * 1000)
      }
    }
    process.stdout.write(keep ? `round ${round}/${ROUNDS}\n` : "warm-up round done\n")
  }

  console.log("")
  const targets: Record<string, string> = {
    "File.read": "≥ 5×",
    "stream": "≥ 3× and ≥ createReadStream",
    "readFile": "≥ 2×",
    "writeFile": "≥ 2×"
  }
  const columns = ["workload", "NodeFileSystem", "AuraFileSystem", "ratio", "target", "createReadStream"]
  const rows: Array<Array<string>> = []
  for (const [workload, peers] of Object.entries(results)) {
    const n = median(peers["node"]!)
    const a = median(peers["aura"]!)
    const lowerIsBetter = workload.includes("(ms)")
    const ratio = lowerIsBetter ? n / a : a / n
    const fmt = (x: number) => workload.includes("ops/s") ? Math.round(x).toLocaleString("en-US") : x.toFixed(2)
    const target = targets[workload.split(" ")[0]!] ?? ""
    const crs = peers["createReadStream"] ? fmt(median(peers["createReadStream"])) : ""
    rows.push([workload, fmt(n), fmt(a), `${ratio.toFixed(2)}×`, target, crs])
  }
  const rounds = Object.entries(results).map(([workload, peers]) =>
    `${workload}: ${Object.entries(peers).map(([peer, xs]) => `${peer} [${xs.map((x) => x.toFixed(workload.includes("ops/s") ? 0 : 2)).join(", ")}]`).join("; ")}`
  )
  console.log(["per round:", ...rounds].join("\n  ") + "\n")
  console.log([`| ${columns.join(" | ")} |`, `|${columns.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n"))
  const file = writeResult({
    id: "platform-layer-fs",
    title: "FileSystem layer: AuraFileSystem.layer vs NodeFileSystem.layer",
    command: `node_modules/.bin/tsx packages/platform-layer/bench/fs.ts ${process.argv.slice(2).join(" ")}`.trim(),
    columns,
    rows,
    notes: [
      `AuraFileSystem backend: ${backend}`,
      `medians of ${ROUNDS} interleaved rounds (a warm-up round discarded); ratio = Aura over Node (time: Node over Aura)`,
      "File.read: seek + read of 4 KiB at random offsets of a 1 GiB file, one File per fiber",
      "writeFile: 64 MiB over an existing 64 MiB file; readFile/stream: page cache warm",
      ...rounds.map((r) => `per round — ${r}`)
    ],
    host: { node: process.version, cpus: OS.cpus().length, kernel: OS.release(), loadavg: OS.loadavg() }
  })
  console.log(`\nwrote ${file}`)
  await node.dispose()
  await aura.dispose()
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
