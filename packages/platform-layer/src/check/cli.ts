/**
 * The `auraio` command line, built with `@effect/cli`: `auraio check [--dir] [--size] [--duration]
 * [--json] [--html FILE]`. `runCli` returns the exit status instead of exiting, so tests run it in
 * process; the bin wraps it in `NodeRuntime.runMain`.
 *
 * @internal
 */
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Options from "@effect/cli/Options"
import * as ValidationError from "@effect/cli/ValidationError"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Check from "./check.js"
import { parseDuration, parseSize } from "./units.js"

/** @internal */
export const VERSION = "0.1.0"

const invalid = (message: string) => Effect.fail(ValidationError.invalidValue(HelpDoc.p(message)))

const dir = Options.directory("dir", { exists: "yes" }).pipe(
  Options.withDescription("Directory for the scratch file (default: the system temp directory). Point it at the disk to test."),
  Options.optional
)
const size = Options.text("size").pipe(
  Options.withDescription("Scratch file size, binary units: 1G, 256M, 64MiB (default 1G, less when the disk is short)."),
  Options.mapEffect((text) => {
    const n = parseSize(text)
    if (typeof n === "string") return invalid(`--size: ${n}`)
    if (n < 1024 * 1024) return invalid(`--size: ${text} is below the 1 MiB minimum`)
    return Effect.succeed(n)
  }),
  Options.optional
)
const duration = Options.text("duration").pipe(
  Options.withDescription("Time budget for the whole check, seconds or with a unit: 60, 30s, 2m (default 60)."),
  Options.withDefault("60"),
  Options.mapEffect((text) => {
    const s = parseDuration(text)
    if (typeof s === "string") return invalid(`--duration: ${s}`)
    if (s < 1 || s > 3600) return invalid(`--duration: ${text} is outside 1 s … 1 h`)
    return Effect.succeed(s)
  })
)
const json = Options.boolean("json").pipe(
  Options.withDescription("Print the result as JSON on stdout (progress still goes to stderr).")
)
const html = Options.file("html").pipe(
  Options.withDescription("Also write a self-contained HTML report with charts to this file."),
  Options.optional
)

/** One invocation's output and exit status: the handlers close over it, so runs never share state. */
interface Invocation {
  readonly out: Check.Output
  readonly fromProcessStart: boolean
  status: number
}

const makeCommand = (inv: Invocation) => {
  const check = Command.make("check", { dir, size, duration, json, html }, (o) =>
    Check.run(
      {
        dir: Option.getOrUndefined(o.dir),
        size: Option.getOrUndefined(o.size),
        duration: o.duration,
        json: o.json,
        html: Option.getOrUndefined(o.html),
        fromProcessStart: inv.fromProcessStart
      },
      inv.out
    ).pipe(
      Effect.scoped,
      Effect.asVoid,
      Effect.catchTag("CheckError", (e) =>
        Effect.sync(() => {
          inv.out.stderr.write(`auraio check: ${e.message}\n`)
          inv.status = 1
        }))
    )).pipe(
      Command.withDescription(
        "Measure this machine's storage through Node fs/promises, NodeFileSystem and AuraIO, side by side: " +
          "4 KiB random reads (page cache and O_DIRECT), 128 KiB sequential reads, 4 KiB random writes + fdatasync, " +
          "readFile and stream. Writes a scratch file and removes it at the end (and on Ctrl-C)."
      )
    )
  const auraio = Command.make("auraio", {}, () => Console.log(USAGE)).pipe(
    Command.withDescription("AuraIO for Effect: self-tuning io_uring file I/O"),
    Command.withSubcommands([check])
  )
  return Command.run(auraio, { name: "auraio", version: VERSION })
}

/** @internal */
export const USAGE = [
  "usage: auraio check [--dir DIR] [--size SIZE] [--duration SECONDS] [--json] [--html FILE]",
  "       auraio check --help    (all options)",
  "",
  "  --dir DIR          directory for the scratch file (default: the system temp directory)",
  "  --size SIZE        scratch file size: 1G, 256M, 64MiB (default 1G, less when the disk is short)",
  "  --duration TIME    time budget for the whole check: 60, 30s, 2m (default 60 s)",
  "  --json             print the result as JSON on stdout",
  "  --html FILE        also write a self-contained HTML report with charts"
].join("\n")

const redirect = (console: Console.Console, out: Check.Output): Console.Console => {
  const write = (stream: { write: (s: string) => unknown }) => (...args: ReadonlyArray<unknown>) =>
    Effect.sync(() => void stream.write(args.map(String).join(" ") + "\n"))
  return {
    ...console,
    log: write(out.stdout),
    info: write(out.stdout),
    error: write(out.stderr),
    warn: write(out.stderr)
  }
}

/**
 * Runs the CLI on `argv` (as `process.argv`: node, script, args…) and returns the exit status:
 * 0 done, 1 the check could not run (the reason is printed), 2 bad options (message and usage printed).
 *
 * @internal
 */
export const runCli = (
  argv: ReadonlyArray<string>,
  out: Check.Output = { stdout: process.stdout, stderr: process.stderr },
  options: { readonly fromProcessStart?: boolean } = {}
): Effect.Effect<number> =>
  Effect.suspend(() => {
    const inv: Invocation = { out, fromProcessStart: options.fromProcessStart === true, status: 0 }
    const cli = makeCommand(inv)
    // @effect/cli prints help and validation errors through the Console service: point it at `out`.
    return Console.consoleWith((console) => Console.withConsole(cli(argv), redirect(console, out))).pipe(
      Effect.catchIf(ValidationError.isValidationError, () =>
        Effect.sync(() => {
          out.stderr.write(`\n${USAGE}\n`)
          inv.status = 2
        })),
      Effect.map(() => inv.status)
    )
  }).pipe(
    Effect.provide(NodeContext.layer),
    // A defect is a bug here: say so plainly rather than dump a fiber trace at a user.
    Effect.catchAllDefect((d) =>
      Effect.sync(() => {
        out.stderr.write(`auraio: internal error: ${d instanceof Error ? d.stack : String(d)}\n`)
        return 1
      })),
    Effect.orDie
  )
