/**
 * A/B aid for the readMany native job (not a benchmark of record: packages/core/bench/randread.ts is).
 * Drives `raw.readMany` with no Effect and no validation, as the core API does underneath: `--pipeline`
 * jobs of `--batch` reads each, `--window / --pipeline` in flight per job, each job into its own slab
 * (or `--distinct` 4 KiB buffers per job). Several engines (variants) live in one process and run in
 * interleaved rounds next to fio, so native changes can be compared within a round:
 *
 *   flock /tmp/auraio-bench.lock taskset -c 1 node --import tsx scratchpad/readmany/ab.ts --rounds 5 \
 *     --variants 'a=;b=entries:64' --peers fio,a,b
 *
 * A variant is `name=key:value,key:value` (openEngine options; `env.NAME:value` sets process.env.NAME
 * while that engine opens, for experiments that read the environment at setup; `batch`, `distinct` and
 * `pipeline` override the shape for that variant).
 */
import { parseArgs } from "node:util"
import { COUNTER_STRIDE, Counter, type Engine, openEngine } from "@auraio/native"
import { openSync } from "node:fs"
import { closedLoops, jobColumns } from "../../packages/core/bench/support/loops.js"
import { BS, DEFAULT_FILE as FILE, fio as fioRun, nextOffset, prepare, warm } from "../../packages/core/bench/support/randomFile.js"

const { values: args } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    seconds: { type: "string", default: "2" },
    variants: { type: "string", default: "base=" },
    peers: { type: "string", default: "fio,base" },
    window: { type: "string", default: "32" },
    batch: { type: "string", default: "256" },
    pipeline: { type: "string", default: "2" },
    distinct: { type: "string", default: "0" }
  }
})
const SECONDS = Number(args.seconds)
const WINDOW = Number(args.window)
const BATCH = Number(args.batch)
const PIPELINE = Number(args.pipeline)
const DISTINCT = Number(args.distinct) || BATCH

type R = { iops: number; cpu: number; user: number; sys: number; perEnter: number }

const fio = (): R => {
  const run = fioRun(FILE, SECONDS)
  return { iops: run.iops, user: run.userNs, sys: run.sysNs, cpu: run.userNs + run.sysNs, perEnter: 32 }
}

const sum = (e: Engine, c: number) => {
  let s = 0
  for (let r = 0; r < e.ringCount; r++) s += e.counters[r * COUNTER_STRIDE + c]!
  return s
}

const jobs = async (e: Engine, fd: number, BATCH: number, DISTINCT: number, PIPELINE: number): Promise<R> => {
  const per = Math.max(1, Math.floor(WINDOW / PIPELINE))
  const cols = Array.from({ length: PIPELINE }, () => jobColumns(fd, BATCH, DISTINCT, BS))
  // A job that stops early (any code but -1) would measure something else: fail the run instead.
  const dones: Array<(code: number) => void> = []
  const enters0 = sum(e, Counter.Enters)
  const run = await closedLoops(PIPELINE, SECONDS, BATCH, (f, first, done) => {
    if (first) {
      dones[f] = (code) => {
        if (code !== -1) throw new Error(`readMany stopped: ${code}`)
        done()
      }
    }
    const j = cols[f]!
    j.refill(nextOffset)
    e.raw.readMany(j.fds, j.pos, j.lens, j.bases, j.offs, j.buffers, BATCH, per, true, j.results, dones[f]!)
  })
  return {
    iops: (run.reads * 1000) / run.ms,
    user: run.userNs / run.reads,
    sys: run.systemNs / run.reads,
    cpu: (run.userNs + run.systemNs) / run.reads,
    perEnter: run.reads / (sum(e, Counter.Enters) - enters0)
  }
}

const parseVariant = (spec: string): [string, Record<string, number | boolean>, Record<string, string>] => {
  const [name, rest = ""] = spec.split("=")
  const opts: Record<string, number | boolean> = {}
  const env: Record<string, string> = {}
  for (const kv of rest.split(",").filter((x) => x.length > 0)) {
    const [k, v] = kv.split(":")
    if (k!.startsWith("env.")) env[k!.slice(4)] = v!
    else opts[k!] = v === "true" ? true : v === "false" ? false : Number(v)
  }
  return [name!, opts, env]
}

const median = (xs: Array<number>) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

const main = async () => {
  prepare(FILE)
  const fd = openSync(FILE, "r")
  const engines: Record<string, Engine> = {}
  const shapes: Record<string, [number, number, number]> = {}
  for (const spec of args.variants!.split(";")) {
    const [name, opts, env] = parseVariant(spec)
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]))
    Object.assign(process.env, env)
    const { batch, distinct, pipeline, ...engineOpts } = opts as Record<string, number>
    shapes[name] = [batch ?? BATCH, distinct ?? (batch ?? DISTINCT), pipeline ?? PIPELINE]
    engines[name] = openEngine({ rings: 1, ...engineOpts } as never)
    for (const [k, v] of Object.entries(saved)) v === undefined ? delete process.env[k] : (process.env[k] = v)
  }
  const peers = args.peers!.split(",")
  if (new Set(peers).size !== peers.length) throw new Error("--peers: each name once (ratios pair rounds by name)")
  const res: Record<string, Array<R>> = Object.fromEntries(peers.map((p) => [p, []]))
  for (let round = 1; round <= Number(args.rounds); round++) {
    warm(FILE)
    const line: Array<string> = []
    for (const p of peers) {
      const r = p === "fio" ? fio() : await jobs(engines[p]!, fd, ...shapes[p]!)
      res[p]!.push(r)
      line.push(`${p} ${(r.iops / 1000).toFixed(0)}k ${r.cpu.toFixed(0)}ns (u${r.user.toFixed(0)} s${r.sys.toFixed(0)})`)
    }
    console.log(`round ${round}: ${line.join("  ")}`)
  }
  const hasFio = res.fio !== undefined
  for (const p of peers) {
    const rs = res[p]!
    const parts = [`${(median(rs.map((r) => r.iops)) / 1000).toFixed(0)}k`, `${median(rs.map((r) => r.cpu)).toFixed(0)} ns/read`,
      `u${median(rs.map((r) => r.user)).toFixed(0)} s${median(rs.map((r) => r.sys)).toFixed(0)}`, `${median(rs.map((r) => r.perEnter)).toFixed(1)}/enter`]
    if (hasFio && p !== "fio") {
      parts.push(`${(100 * median(rs.map((r, i) => r.iops / res.fio![i]!.iops))).toFixed(1)}% of fio`)
      parts.push(`cpu ${median(rs.map((r, i) => r.cpu / res.fio![i]!.cpu)).toFixed(3)}x fio`)
    }
    console.log(`  ${p.padEnd(10)} ${parts.join("  ")}`)
  }
  for (const e of Object.values(engines)) await e.close()
}
main().catch((e) => {
  console.error(e)
  process.exit(1)
})
