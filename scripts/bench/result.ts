/**
 * The one JSON shape `pnpm bench` collects (bench-results/<id>.json). A benchmark script writes it with
 * `writeResult`; the suite runner turns it into a Markdown table in docs/performance.md. A table, its
 * command, and notes — nothing more, so any script can produce it.
 */
import * as fs from "node:fs"
import * as path from "node:path"

export const FORMAT = "auraio-bench/1"

export interface BenchResult {
  readonly format: typeof FORMAT
  /** File-name-safe id, e.g. "native-randread". */
  readonly id: string
  readonly title: string
  /** The exact command that produced it. */
  readonly command: string
  /** Column names, in order; the first names the row. */
  readonly columns: ReadonlyArray<string>
  readonly rows: ReadonlyArray<ReadonlyArray<string | number | null>>
  readonly notes?: ReadonlyArray<string>
  readonly host?: Record<string, unknown>
  readonly date?: string
}

/**
 * Writes `result` where the suite runner looks for it: `$AURAIO_BENCH_OUT` when the runner started the
 * script, else bench-results/<id>.json under the current directory.
 */
export const writeResult = (result: Omit<BenchResult, "format">): string => {
  const file = process.env["AURAIO_BENCH_OUT"] ?? path.join(process.cwd(), "bench-results", `${result.id}.json`)
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, JSON.stringify({ format: FORMAT, date: new Date().toISOString(), ...result }, null, 2))
  return file
}

export const isBenchResult = (u: unknown): u is BenchResult =>
  typeof u === "object" && u !== null && (u as { format?: unknown }).format === FORMAT &&
  Array.isArray((u as { columns?: unknown }).columns) && Array.isArray((u as { rows?: unknown }).rows)
