/**
 * The benchmark suite's pieces that need no disk: which scripts make up `pnpm bench`, how each one's
 * output becomes a table (the shared format, or an adapter for what a script printed or wrote before it
 * adopted the format), and how docs/performance.md gets its generated section.
 */
import { type BenchResult, FORMAT, isBenchResult } from "./result.js"

export interface Script {
  readonly id: string
  readonly title: string
  /** Path from the repository root. */
  readonly path: string
  /** Arguments and environment for a full run and for `--quick` (a smoke run of the suite). */
  readonly args: ReadonlyArray<string>
  readonly quickArgs: ReadonlyArray<string>
  readonly env?: Record<string, string>
  readonly quickEnv?: Record<string, string>
  /** Files the script writes into bench-results/ on its own (before it adopted `writeResult`). */
  readonly writes?: RegExp
}

export const scripts: ReadonlyArray<Script> = [
  {
    id: "native-randread",
    title: "Native engine: 4 KiB random reads, warm 1 GiB file, vs fio io_uring",
    path: "packages/native/bench/randread.ts",
    args: [],
    quickArgs: [],
    quickEnv: { ROUNDS: "1", RUNTIME: "1" },
    writes: /^randread-\d+\.json$/
  },
  {
    id: "core-randread",
    title: "AuraEngine Effect API: 4 KiB random reads",
    path: "packages/core/bench/randread.ts",
    args: [],
    quickArgs: ["--rounds", "1"]
  },
  {
    id: "node-randread",
    title: "Node peers: 4 KiB random reads, warm 1 GiB file (libuv thread pool, UV_USE_IO_URING=1, NodeFileSystem)",
    path: "scripts/bench/node-peers.ts",
    args: [],
    quickArgs: ["--rounds", "1", "--seconds", "0.5"]
  },
  {
    id: "core-aimd",
    title: "AIMD controller on O_DIRECT reads: knee, noisy neighbour, phase change",
    path: "packages/core/bench/aimd.ts",
    args: [],
    quickArgs: ["--rounds", "1", "--only", "knee"]
  },
  {
    id: "platform-layer-fs",
    title: "FileSystem layer: AuraFileSystem.layer vs NodeFileSystem.layer",
    path: "packages/platform-layer/bench/fs.ts",
    args: [],
    quickArgs: ["--rounds", "1", "--seconds", "0.5"],
    writes: /^platform-layer-fs\.json$/
  }
]

/** The command line a reader can copy to re-run one script as the suite ran it. */
export const commandOf = (s: Script, quick: boolean): string => {
  const env = Object.entries((quick ? s.quickEnv : s.env) ?? {}).map(([k, v]) => `${k}=${v} `).join("")
  const args = quick ? s.quickArgs : s.args
  return `${env}node_modules/.bin/tsx ${s.path}${args.length ? " " + args.join(" ") : ""}`
}

/** Markdown tables printed by a script (`| a | b |` lines, separator row included). */
export const markdownTables = (stdout: string): ReadonlyArray<ReadonlyArray<ReadonlyArray<string>>> => {
  const tables: Array<Array<Array<string>>> = []
  let current: Array<Array<string>> | undefined
  for (const line of stdout.split("\n")) {
    const t = line.trim()
    if (t.startsWith("|") && t.endsWith("|")) {
      const cells = t.slice(1, -1).split("|").map((c) => c.trim())
      if (cells.every((c) => /^:?-{3,}:?$/.test(c))) continue
      if (!current) tables.push((current = []))
      current.push(cells)
    } else current = undefined
  }
  return tables
}

type Medians = Record<string, Record<string, number> | number>

/**
 * A `{ median: { case: figures } }` summary, at the top level or under `summary` (the native randread
 * file: `{ summary: { median: { case: { iops, … } }, ratios } }`; the core randread script's last
 * stdout line: `{ median: { case: iops } }`).
 */
const fromMedians = (json: unknown): Pick<BenchResult, "columns" | "rows" | "notes"> | undefined => {
  const o = json as { summary?: unknown; median?: unknown } | undefined
  const summary = (o?.median ? o : o?.summary) as { median?: Medians; ratios?: Record<string, number>; rounds?: number } | undefined
  if (!summary?.median || typeof summary.median !== "object") return undefined
  const entries = Object.entries(summary.median)
  const keys = [...new Set(entries.flatMap(([, m]) => (typeof m === "number" ? ["IOPS"] : Object.keys(m))))]
  return {
    columns: ["case", ...keys],
    rows: entries.map(([name, m]) => [
      name,
      ...keys.map((k) => (typeof m === "number" ? (k === "IOPS" ? Math.round(m) : null) : m[k] ?? null))
    ]),
    notes: [
      ...(typeof summary.rounds === "number" ? [`medians over ${summary.rounds} round(s)`] : []),
      ...(summary.ratios ? Object.entries(summary.ratios).map(([k, v]) => `${k}: ${Number(v.toFixed(3))}`) : [])
    ]
  }
}

/** Single-line JSON objects a script printed, last first. */
const stdoutJson = (stdout: string): ReadonlyArray<unknown> =>
  stdout.split("\n").map((l) => l.trim()).filter((l) => l.startsWith("{") && l.endsWith("}")).reverse().flatMap((l) => {
    try {
      return [JSON.parse(l) as unknown]
    } catch {
      return []
    }
  })

/**
 * One script's result as a table: its own file in the shared format when it wrote one, else a known
 * JSON shape it wrote or printed on one line, else the Markdown table it printed, else the tail of what
 * it printed.
 */
export const toResult = (
  script: Script,
  command: string,
  output: { readonly stdout: string; readonly files: ReadonlyArray<unknown>; readonly status: number | null }
): BenchResult => {
  const base = { format: FORMAT, id: script.id, title: script.title, command } as const
  const own = output.files.find(isBenchResult)
  if (own) return { ...own, id: script.id, command }
  for (const f of [...output.files, ...stdoutJson(output.stdout)]) {
    const t = fromMedians(f)
    if (t) return { ...base, ...t }
  }
  const tables = markdownTables(output.stdout)
  const last = tables[tables.length - 1]
  if (last && last.length > 1) return { ...base, columns: last[0]!, rows: last.slice(1) }
  const tail = output.stdout.trim().split("\n").slice(-20)
  return {
    ...base,
    columns: ["output"],
    rows: [],
    notes: [
      ...(output.status === 0 ? [] : [`exited with status ${output.status}`]),
      ...tail
    ]
  }
}

const cell = (v: string | number | null): string =>
  v === null ? "—" : typeof v === "number" ? (Number.isInteger(v) ? v.toLocaleString("en-US") : String(Number(v.toFixed(3)))) : v.replace(/\|/g, "\\|")

/** One result as Markdown: heading, command, table, notes. */
export const renderResult = (r: BenchResult): string => {
  const lines = [`### ${r.title}`, "", "```sh", r.command, "```", ""]
  if (r.rows.length > 0) {
    lines.push(`| ${r.columns.map((c) => cell(c)).join(" | ")} |`)
    lines.push(`|${r.columns.map((_, i) => (i === 0 ? "---" : "---:")).join("|")}|`)
    for (const row of r.rows) lines.push(`| ${row.map(cell).join(" | ")} |`)
    lines.push("")
  }
  if (r.notes && r.notes.length > 0) {
    if (r.rows.length === 0) lines.push("```text", ...r.notes, "```", "")
    else for (const n of r.notes) lines.push(`- ${n}`)
    if (r.rows.length > 0) lines.push("")
  }
  return lines.join("\n")
}

export const BEGIN = "<!-- auraio-bench:begin (generated by `pnpm bench`; edits here are overwritten) -->"
export const END = "<!-- auraio-bench:end -->"

/**
 * docs/performance.md with the generated section replaced (or appended after the header when the
 * markers are missing); everything outside the markers is kept byte for byte.
 */
export const updatePerformanceDoc = (doc: string, section: string): string => {
  const block = `${BEGIN}\n\n${section.trim()}\n\n${END}`
  const b = doc.indexOf(BEGIN.slice(0, 24))
  const e = doc.indexOf(END)
  if (b >= 0 && e > b) return doc.slice(0, b) + block + doc.slice(e + END.length)
  return doc.trimEnd() + "\n\n" + block + "\n"
}

/** The generated section: when and where it ran, then each script's table. */
export const renderSection = (
  results: ReadonlyArray<BenchResult>,
  host: {
    readonly date: string
    readonly kernel: string
    readonly cpus: number
    readonly node: string
    readonly quick: boolean
    readonly loadAverage?: readonly [number, number]
  }
): string =>
  [
    `## Benchmark suite results (\`pnpm bench\`)`,
    "",
    `Last run ${host.date} · Linux ${host.kernel} · ${host.cpus} CPUs · Node ${host.node}` +
    (host.loadAverage ? ` · load average ${host.loadAverage[0]} at start, ${host.loadAverage[1]} at end` : "") +
    (host.quick ? " · **quick smoke run (`pnpm bench --quick`): one short round, not for comparison**" : ""),
    "",
    ...results.map(renderResult)
  ].join("\n")
