/**
 * `pnpm bench`: runs the fixed benchmark scripts (each compares its peers side by side in one run,
 * interleaved rounds, medians), collects their results into bench-results/, and regenerates the
 * generated section of docs/performance.md.
 *
 *   pnpm bench                         # the full suite (tens of minutes on a 2-vCPU VM)
 *   pnpm bench --only native-randread,node-randread
 *   pnpm bench --quick                 # one short round of each: checks the suite works, not for figures
 *   pnpm bench --no-docs               # leave docs/performance.md alone
 *   pnpm bench --render                # no run: rewrite docs/performance.md from bench-results/latest.json
 */
import { spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import type { BenchResult } from "./result.js"
import * as Suite from "./suite.js"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..")
const argv = process.argv.slice(2)
const flag = (name: string) => argv.includes(`--${name}`)
const value = (name: string) => {
  const i = argv.indexOf(`--${name}`)
  return i >= 0 ? argv[i + 1] : undefined
}
const known = new Set(Suite.scripts.map((s) => s.id))
const only = value("only")?.split(",").filter(Boolean)
for (const id of only ?? []) {
  if (!known.has(id)) {
    console.error(`pnpm bench: unknown script '${id}'. Known: ${[...known].join(", ")}`)
    process.exit(2)
  }
}
// Every read benchmark measures against fio in the same run; without it the figures mean nothing.
if (!flag("render") && spawnSync("fio", ["--version"], { stdio: "ignore" }).error !== undefined) {
  console.error("pnpm bench: fio is missing. Install it (sudo apt-get install -y fio), then run again.")
  process.exit(2)
}
const quick = flag("quick")
const resultsDir = path.join(root, "bench-results")
fs.mkdirSync(resultsDir, { recursive: true })

const run = (script: Suite.Script): Promise<{ stdout: string; status: number | null; files: Array<unknown> }> =>
  new Promise((resolve) => {
    const started = Date.now()
    const out = path.join(resultsDir, `${script.id}.json`)
    fs.rmSync(out, { force: true })
    const child = spawn(
      path.join(root, "node_modules", ".bin", "tsx"),
      [path.join(root, script.path), ...(quick ? script.quickArgs : script.args)],
      {
        cwd: root,
        stdio: ["ignore", "pipe", "inherit"],
        env: { ...process.env, ...(quick ? script.quickEnv : script.env), AURAIO_BENCH_OUT: out }
      }
    )
    let stdout = ""
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString()
      process.stdout.write(d)
    })
    // Ctrl-C reaches the child through the process group; wait for it to clean up, then stop.
    child.on("close", (status) => {
      // Its own file, and the files it is known to write, from this run only (bench-results/ is
      // shared: another benchmark running at the same time must not be picked up).
      const files = fs.readdirSync(resultsDir)
        .filter((f) => f === path.basename(out) || (script.writes?.test(f) ?? false))
        .map((f) => path.join(resultsDir, f))
        .filter((f) => fs.statSync(f).mtimeMs >= started)
        .sort((a, b) => (a === out ? -1 : b === out ? 1 : fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs))
        .flatMap((f) => {
          try {
            return [JSON.parse(fs.readFileSync(f, "utf8")) as unknown]
          } catch {
            return []
          }
        })
      resolve({ stdout, status, files })
    })
  })

const writeDocs = (results: ReadonlyArray<BenchResult>, host: Parameters<typeof Suite.renderSection>[1]) => {
  const doc = path.join(root, "docs", "performance.md")
  const before = fs.existsSync(doc) ? fs.readFileSync(doc, "utf8") : "# Performance\n"
  fs.writeFileSync(doc, Suite.updatePerformanceDoc(before, Suite.renderSection(results, host)))
  console.log(`tables regenerated in ${path.relative(root, doc)}`)
}

const main = async () => {
  // Other work on the machine is the biggest source of noise here: record it with the results.
  const loadAtStart = os.loadavg()[0]!
  if (flag("render")) {
    const latest = JSON.parse(fs.readFileSync(path.join(resultsDir, "latest.json"), "utf8")) as {
      host: Parameters<typeof Suite.renderSection>[1]
      results: Array<BenchResult>
    }
    // Re-adapt what the scripts left (an adapter may have improved since the run).
    const tidy = (n: string) => n.replace(/\d+\.\d{4,}/g, (x) => String(Number(Number(x).toFixed(3))))
    return writeDocs(latest.results.map((r) => (r.notes ? { ...r, notes: r.notes.map(tidy) } : r)), latest.host)
  }
  const results: Array<BenchResult> = []
  for (const script of Suite.scripts) {
    if (only && !only.includes(script.id)) continue
    if (!fs.existsSync(path.join(root, script.path))) {
      console.log(`\n== ${script.id}: ${script.path} does not exist yet, skipped`)
      continue
    }
    const command = Suite.commandOf(script, quick)
    console.log(`\n== ${script.id}: ${command}`)
    const output = await run(script)
    const result = Suite.toResult(script, command, output)
    fs.writeFileSync(path.join(resultsDir, `${script.id}.json`), JSON.stringify(result, null, 2))
    results.push(result)
    if (output.status !== 0) console.log(`== ${script.id} exited with status ${output.status}`)
  }
  const host = {
    date: new Date().toISOString(),
    kernel: os.release(),
    cpus: os.availableParallelism(),
    node: process.version,
    quick,
    loadAverage: [Number(loadAtStart.toFixed(1)), Number(os.loadavg()[0]!.toFixed(1))] as const
  }
  const suite = { format: "auraio-bench-suite/1", host, results }
  fs.writeFileSync(path.join(resultsDir, "latest.json"), JSON.stringify(suite, null, 2))
  fs.writeFileSync(path.join(resultsDir, `suite-${host.date.replace(/[:.]/g, "-")}.json`), JSON.stringify(suite, null, 2))
  console.log(`\nresults: ${path.relative(root, path.join(resultsDir, "latest.json"))}`)
  if (!flag("no-docs") && results.length > 0) writeDocs(results, host)
  if (results.some((r) => r.notes?.some((n) => n.startsWith("exited with status")))) process.exitCode = 1
}

void main()
