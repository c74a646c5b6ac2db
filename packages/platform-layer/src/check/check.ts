/**
 * The storage check as one scoped Effect: scratch file, AuraIO pieces, the workload matrix, the report.
 * Everything it acquires (scratch directory, engines, open files) belongs to its Scope, so an
 * interruption (Ctrl-C) releases all of it.
 *
 * @internal
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as HashSet from "effect/HashSet"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import type * as Scope from "effect/Scope"
import * as fsp from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { performance } from "node:perf_hooks"
import * as Aura from "./aura.js"
import { CheckError } from "./errors.js"
import * as Html from "./html.js"
import * as Live from "./live.js"
import type { Report } from "./report.js"
import * as Runner from "./runner.js"
import * as Scratch from "./scratch.js"
import * as Table from "./table.js"

/** @internal */
export interface CheckOptions {
  readonly dir: string | undefined
  readonly size: number | undefined
  /** Seconds, for everything: scratch file, runs, report. */
  readonly duration: number
  readonly json: boolean
  readonly html: string | undefined
  /**
   * Count the budget from process start (the bin: what a user times includes Node's start-up) rather
   * than from this call (tests).
   */
  readonly fromProcessStart?: boolean
}

/** Where output goes; the tests pass buffers. @internal */
export interface Output {
  readonly stdout: { write: (s: string) => unknown }
  readonly stderr: { write: (s: string) => unknown; isTTY?: boolean }
}

/** @internal */
export const run = (options: CheckOptions, out: Output): Effect.Effect<Report, CheckError, Scope.Scope> =>
  Effect.locally(check(options, out), FiberRef.currentLoggers, HashSet.make(stderrLogger(out)))

/**
 * Logs (the layer's fallback warning, the engine's) go to stderr as plain lines: stdout carries only
 * the table or the JSON, so `--json > file` stays valid JSON.
 */
const stderrLogger = (out: Output) =>
  Logger.make(({ logLevel, message }) => {
    const text = (Array.isArray(message) ? message : [message]).map(String).join(" ")
    out.stderr.write(`auraio check: ${logLevel.label.toLowerCase()}: ${text}\n`)
  })

const check = (options: CheckOptions, out: Output): Effect.Effect<Report, CheckError, Scope.Scope> =>
  Effect.gen(function*() {
    // performance.now() is measured from the process's start.
    const startedAt = options.fromProcessStart ? 0 : performance.now()
    const startedIso = new Date().toISOString()
    const live = Live.make(out.stderr)
    yield* Effect.addFinalizer(() => Effect.sync(() => live.close()))
    const dir = path.resolve(options.dir ?? os.tmpdir())

    const scratch = yield* Scratch.make({ dir: options.dir, size: options.size, onWrite: live.phase })

    live.phase("starting AuraIO")
    const aura = yield* Aura.load(() => import("../index.js"))
    const nodeFileSystem = Context.get(yield* Layer.build(NodeFileSystem.layer), FileSystem.FileSystem)
    const rings = (yield* aura.rings()).length

    live.phase("warming the page cache")
    yield* Scratch.warm(scratch.file, scratch.size)

    const result = yield* Runner.run({
      scratch,
      aura,
      nodeFileSystem,
      budget: options.duration,
      startedAt,
      progress: live
    })

    const report: Report = {
      version: 1,
      tool: "auraio check",
      startedAt: startedIso,
      elapsedSeconds: Number(((performance.now() - startedAt) / 1000).toFixed(2)),
      host: { platform: process.platform, kernel: os.release(), cpus: os.availableParallelism(), node: process.version },
      options: { dir, size: scratch.size, duration: options.duration },
      scratch: {
        fsType: scratch.fsType,
        size: scratch.size,
        readFileSize: scratch.smallSize,
        createSeconds: Number(scratch.createSeconds.toFixed(2)),
        directUnsupported: scratch.directUnsupported ?? null,
        sizeNote: scratch.sizeNote ?? null
      },
      aura: {
        engine: aura.engine ? "available" : "unavailable",
        engineReason: aura.engineUnavailable ?? null,
        fileSystem: aura.fileSystem ? (aura.fallbackReason ? "fallback" : "available") : "unavailable",
        fileSystemReason: aura.fallbackReason ?? aura.fileSystemUnavailable ?? null,
        rings
      },
      rounds: result.rounds,
      workloads: result.workloads,
      interrupted: false
    }
    live.close()

    if (options.html) {
      const file = path.resolve(options.html)
      yield* Effect.tryPromise({
        try: () => fsp.writeFile(file, Html.render(report)),
        catch: (e) => new CheckError({ message: `cannot write the HTML report to ${file}: ${String(e)}` })
      })
    }
    if (options.json) out.stdout.write(JSON.stringify(report, null, 2) + "\n")
    else out.stdout.write(Table.render(report) + "\n")
    if (options.html) out.stderr.write(`HTML report: ${path.resolve(options.html)}\n`)
    return report
  })
