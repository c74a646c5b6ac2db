// Random FileSystem programs for differential testing: the same sequence of operations runs against
// NodeFileSystem (the oracle) and AuraFileSystem in two fresh directories, and every observable —
// each operation's value or error reason, and the final tree — must be equal.
import * as FileSystem from "@effect/platform/FileSystem"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FC from "effect/FastCheck"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { createHash } from "node:crypto"
import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs"
import { join } from "node:path"

export type FileStep =
  | { readonly s: "write"; readonly data: Uint8Array }
  | { readonly s: "writeAll"; readonly data: Uint8Array }
  | { readonly s: "read"; readonly size: number }
  | { readonly s: "readAlloc"; readonly size: number }
  | { readonly s: "seek"; readonly offset: number; readonly from: FileSystem.SeekMode }
  | { readonly s: "truncate"; readonly length: number }
  | { readonly s: "sync" }
  | { readonly s: "stat" }

export type Op =
  | { readonly op: "writeFile"; readonly path: string; readonly data: Uint8Array; readonly flag: "w" | "a" | "wx" }
  | { readonly op: "readFile"; readonly path: string }
  | { readonly op: "readFileString"; readonly path: string }
  | { readonly op: "makeDirectory"; readonly path: string; readonly recursive: boolean }
  | { readonly op: "remove"; readonly path: string; readonly recursive: boolean }
  | { readonly op: "rename"; readonly from: string; readonly to: string }
  | { readonly op: "copyFile"; readonly from: string; readonly to: string }
  | { readonly op: "copy"; readonly from: string; readonly to: string; readonly overwrite: boolean }
  | { readonly op: "stat"; readonly path: string }
  | { readonly op: "exists"; readonly path: string }
  | { readonly op: "access"; readonly path: string }
  | { readonly op: "readDirectory"; readonly path: string }
  | { readonly op: "truncate"; readonly path: string; readonly length: number }
  | { readonly op: "symlink"; readonly target: string; readonly path: string }
  | { readonly op: "readLink"; readonly path: string }
  | { readonly op: "link"; readonly from: string; readonly to: string }
  | { readonly op: "stream"; readonly path: string; readonly chunkSize: number; readonly offset: number }
  | { readonly op: "sink"; readonly path: string; readonly chunks: ReadonlyArray<Uint8Array> }
  | { readonly op: "file"; readonly path: string; readonly flag: FileSystem.OpenFlag; readonly steps: ReadonlyArray<FileStep> }

// A small name space so operations collide: a rename onto a directory, a remove of a parent, a read
// of what was just truncated.
const paths = ["a", "b", "c", "d", "d/a", "d/b", "d/e", "d/e/f", "e"] as const
const path = FC.constantFrom(...paths)
const bytes = FC.oneof(
  { weight: 6, arbitrary: FC.uint8Array({ maxLength: 300 }) },
  { weight: 1, arbitrary: FC.integer({ min: 60_000, max: 140_000 }).map((n) => pseudoRandomBytes(n)) }
)
const size = FC.oneof(FC.integer({ min: 0, max: 400 }), FC.constant(70_000))
const small = FC.integer({ min: 0, max: 500 })

const fileStep: FC.Arbitrary<FileStep> = FC.oneof(
  FC.record({ s: FC.constant("write" as const), data: bytes }),
  FC.record({ s: FC.constant("writeAll" as const), data: bytes }),
  FC.record({ s: FC.constant("read" as const), size }),
  FC.record({ s: FC.constant("readAlloc" as const), size }),
  FC.record({ s: FC.constant("seek" as const), offset: small, from: FC.constantFrom<FileSystem.SeekMode>("start", "current") }),
  FC.record({ s: FC.constant("truncate" as const), length: small }),
  FC.constant({ s: "sync" as const }),
  FC.constant({ s: "stat" as const })
)

export const op: FC.Arbitrary<Op> = FC.oneof(
  { weight: 4, arbitrary: FC.record({ op: FC.constant("writeFile" as const), path, data: bytes, flag: FC.constantFrom<"w" | "a" | "wx">("w", "a", "wx") }) },
  { weight: 3, arbitrary: FC.record({ op: FC.constant("readFile" as const), path }) },
  { weight: 1, arbitrary: FC.record({ op: FC.constant("readFileString" as const), path }) },
  { weight: 2, arbitrary: FC.record({ op: FC.constant("makeDirectory" as const), path, recursive: FC.boolean() }) },
  { weight: 1, arbitrary: FC.record({ op: FC.constant("remove" as const), path, recursive: FC.boolean() }) },
  { weight: 1, arbitrary: FC.record({ op: FC.constant("rename" as const), from: path, to: path }) },
  { weight: 1, arbitrary: FC.record({ op: FC.constant("copyFile" as const), from: path, to: path }) },
  { weight: 1, arbitrary: FC.record({ op: FC.constant("copy" as const), from: path, to: path, overwrite: FC.boolean() }) },
  { weight: 2, arbitrary: FC.record({ op: FC.constant("stat" as const), path }) },
  { weight: 1, arbitrary: FC.record({ op: FC.constant("exists" as const), path }) },
  { weight: 1, arbitrary: FC.record({ op: FC.constant("access" as const), path }) },
  { weight: 1, arbitrary: FC.record({ op: FC.constant("readDirectory" as const), path: FC.constantFrom(".", "d", "d/e", "a") }) },
  { weight: 1, arbitrary: FC.record({ op: FC.constant("truncate" as const), path, length: small }) },
  { weight: 1, arbitrary: FC.record({ op: FC.constant("symlink" as const), target: path, path }) },
  { weight: 1, arbitrary: FC.record({ op: FC.constant("readLink" as const), path }) },
  { weight: 1, arbitrary: FC.record({ op: FC.constant("link" as const), from: path, to: path }) },
  { weight: 2, arbitrary: FC.record({ op: FC.constant("stream" as const), path, chunkSize: FC.constantFrom(1, 7, 4096, 65536), offset: FC.constantFrom(0, 3, 5000) }) },
  { weight: 2, arbitrary: FC.record({ op: FC.constant("sink" as const), path, chunks: FC.array(bytes, { maxLength: 4 }) }) },
  { weight: 4, arbitrary: FC.record({ op: FC.constant("file" as const), path, flag: FC.constantFrom<FileSystem.OpenFlag>("r", "r+", "w", "w+", "wx", "a", "a+"), steps: FC.array(fileStep, { maxLength: 8 }) }) }
)

export const program = (maxLength = 25): FC.Arbitrary<ReadonlyArray<Op>> => FC.array(op, { minLength: 1, maxLength })

function pseudoRandomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n)
  let x = n * 2654435761
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0
    out[i] = x >>> 24
  }
  return out
}

const digest = (b: Uint8Array): string => `${b.length}:${createHash("sha256").update(b).digest("hex").slice(0, 16)}`

/** What a single operation observably did: a normalised value, or the error's tag and reason. */
export type Observation = string

const describeFailure = (cause: Cause.Cause<unknown>): string => {
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure)) {
    const e = failure.value as { _tag?: string; reason?: string }
    return `fail ${e._tag ?? "?"}${e.reason ? `:${e.reason}` : ""}`
  }
  return `defect ${Cause.pretty(cause).split("\n")[0]}`
}

const observe = <A>(effect: Effect.Effect<A, unknown>, show: (a: A) => string): Effect.Effect<Observation> =>
  Effect.map(Effect.exit(effect), (exit) => (Exit.isSuccess(exit) ? `ok ${show(exit.value)}` : describeFailure(exit.cause)))

const unit = (): string => ""

const runStep = (file: FileSystem.File, step: FileStep): Effect.Effect<Observation> => {
  switch (step.s) {
    case "write":
      return observe(file.write(step.data), (n) => String(n))
    case "writeAll":
      return observe(file.writeAll(step.data), unit)
    case "read": {
      const buf = new Uint8Array(step.size)
      return observe(file.read(buf), (n) => `${n} ${digest(buf.subarray(0, Number(n)))}`)
    }
    case "readAlloc":
      return observe(file.readAlloc(step.size), (o) => (Option.isSome(o) ? digest(o.value) : "none"))
    case "seek":
      return observe(file.seek(step.offset, step.from), unit)
    case "truncate":
      return observe(file.truncate(step.length), unit)
    case "sync":
      return observe(file.sync, unit)
    case "stat":
      return observe(file.stat, (i) => `${i.type} ${i.size}`)
  }
}

/** Runs one operation rooted at `root`; paths in the observation are relative, so roots may differ. */
export const runOp = (fs: FileSystem.FileSystem, root: string, o: Op): Effect.Effect<Observation> => {
  const p = (rel: string) => join(root, rel)
  switch (o.op) {
    case "writeFile":
      return observe(fs.writeFile(p(o.path), o.data, { flag: o.flag }), unit)
    case "readFile":
      return observe(fs.readFile(p(o.path)), digest)
    case "readFileString":
      return observe(fs.readFileString(p(o.path)), (s) => `${s.length}`)
    case "makeDirectory":
      return observe(fs.makeDirectory(p(o.path), { recursive: o.recursive }), unit)
    case "remove":
      return observe(fs.remove(p(o.path), { recursive: o.recursive }), unit)
    case "rename":
      return observe(fs.rename(p(o.from), p(o.to)), unit)
    case "copyFile":
      return observe(fs.copyFile(p(o.from), p(o.to)), unit)
    case "copy":
      return observe(fs.copy(p(o.from), p(o.to), { overwrite: o.overwrite }), unit)
    case "stat":
      return observe(fs.stat(p(o.path)), (i) => `${i.type} ${i.type === "Directory" ? "" : i.size}`)
    case "exists":
      return observe(fs.exists(p(o.path)), String)
    case "access":
      return observe(fs.access(p(o.path)), unit)
    case "readDirectory":
      return observe(fs.readDirectory(p(o.path)), (xs) => [...xs].sort().join(","))
    case "truncate":
      return observe(fs.truncate(p(o.path), o.length), unit)
    case "symlink":
      return observe(fs.symlink(o.target, p(o.path)), unit)
    case "readLink":
      return observe(fs.readLink(p(o.path)), (s) => s)
    case "link":
      return observe(fs.link(p(o.from), p(o.to)), unit)
    case "stream":
      return observe(
        Stream.runCollect(fs.stream(p(o.path), { chunkSize: o.chunkSize, offset: o.offset })),
        (chunks) => {
          const all = Chunk.toReadonlyArray(chunks)
          const total = all.reduce((n, c) => n + c.length, 0)
          const joined = new Uint8Array(total)
          let at = 0
          for (const c of all) {
            joined.set(c, at)
            at += c.length
          }
          // Chunk boundaries are an implementation choice (read-ahead may coalesce); bytes are not.
          return digest(joined)
        }
      )
    case "sink":
      return observe(Stream.run(Stream.fromIterable(o.chunks), fs.sink(p(o.path))), unit)
    case "file":
      return Effect.scoped(
        Effect.flatMap(Effect.exit(fs.open(p(o.path), { flag: o.flag })), (exit) =>
          Exit.isFailure(exit)
            ? Effect.succeed(`open ${describeFailure(exit.cause)}`)
            : Effect.map(Effect.forEach(o.steps, (s) => runStep(exit.value, s)), (obs) => `open ok [${obs.join("; ")}]`)
        )
      )
  }
}

export const runProgram = (fs: FileSystem.FileSystem, root: string, ops: ReadonlyArray<Op>): Effect.Effect<Array<Observation>> =>
  Effect.forEach(ops, (o, i) => Effect.map(runOp(fs, root, o), (obs) => `#${i} ${o.op}: ${obs.split(root).join("<root>")}`))

/** The final state of a directory tree, read with plain node:fs so neither side under test judges it. */
export const snapshotTree = (root: string): Array<string> => {
  const out: Array<string> = []
  const walk = (rel: string) => {
    const abs = rel === "" ? root : join(root, rel)
    for (const name of readdirSync(abs).sort()) {
      const r = rel === "" ? name : `${rel}/${name}`
      const st = lstatSync(join(root, r))
      // fs.cp rewrites relative link targets as absolute ones: make them root-relative to compare.
      if (st.isSymbolicLink()) out.push(`L ${r} -> ${readlinkSync(join(root, r)).split(root).join("<root>")}`)
      else if (st.isDirectory()) {
        out.push(`D ${r}`)
        walk(r)
      } else out.push(`F ${r} ${digest(readFileSync(join(root, r)))} nlink=${st.nlink} mode=${(st.mode & 0o777).toString(8)}`)
    }
  }
  walk("")
  return out
}

/** A one-line rendering of a program for failure messages (fast-check also prints the shrunk case). */
export const showProgram = (ops: ReadonlyArray<Op>): string =>
  ops
    .map((o) =>
      JSON.stringify(o, (_k, v) => (v instanceof Uint8Array ? `<${v.length} bytes>` : v))
    )
    .join("\n")

/**
 * Observations made comparable where NodeFileSystem itself is nondeterministic: fs.cp stats source and
 * destination concurrently (Promise.all), so when both fail (missing source, destination under a file)
 * either NotFound or BadResource wins the race.
 */
export const comparable = (ops: ReadonlyArray<Op>, observations: ReadonlyArray<Observation>): Array<Observation> =>
  observations.map((o, i) =>
    ops[i]?.op === "copy" ? o.replace(/fail SystemError:(NotFound|BadResource)$/, "fail SystemError:NotFound|BadResource") : o
  )
