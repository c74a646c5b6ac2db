/**
 * The scratch files the check reads and writes: a directory made with `mkdtemp` in the system temp
 * directory (or `--dir`), removed by a finalizer registered before anything is written into it, so
 * Ctrl-C during creation or a run still leaves nothing behind.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { randomFillSync } from "node:crypto"
import { constants, rmSync } from "node:fs"
import * as fsp from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { CheckError } from "./errors.js"
import { formatBytes } from "./units.js"
import { READFILE_MAX } from "./workloads.js"

/** @internal */
export interface Scratch {
  readonly dir: string
  /** The data file every block workload uses. */
  readonly file: string
  readonly size: number
  /** The file readFile reads (the data file itself when it is small enough). */
  readonly smallFile: string
  readonly smallSize: number
  readonly fsType: string
  /** Why O_DIRECT cannot be used here, when it cannot. */
  readonly directUnsupported: string | undefined
  /** Bytes the requested size was cut to, with the reason, when the disk did not allow it. */
  readonly sizeNote: string | undefined
  readonly createSeconds: number
}

const MiB = 1024 * 1024
/** @internal */
export const DEFAULT_SIZE = 1024 * MiB
/** @internal */
export const MIN_SIZE = MiB

const FS_MAGIC: Record<number, string> = {
  0xef53: "ext4",
  0x58465342: "xfs",
  0x9123683e: "btrfs",
  0x01021994: "tmpfs",
  0x794c7630: "overlayfs",
  0x6969: "nfs",
  0x2fc12fc1: "zfs",
  0xf2f52010: "f2fs",
  0x65735546: "fuse",
  0x858458f6: "ramfs"
}

const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e))

const fail = (message: string) => new CheckError({ message })

/** @internal */
export const make = (options: {
  readonly dir: string | undefined
  readonly size: number | undefined
  readonly onWrite: (text: string) => void
}): Effect.Effect<Scratch, CheckError, Scope.Scope> =>
  Effect.gen(function*() {
    const started = performance.now()
    const parent = path.resolve(options.dir ?? os.tmpdir())
    const st = yield* Effect.tryPromise({
      try: () => fsp.statfs(parent),
      catch: (e) => fail(`cannot use ${parent}: ${errText(e)}`)
    })
    const free = Number(st.bavail) * Number(st.bsize)
    const fsType = FS_MAGIC[Number(st.type)] ?? `0x${Number(st.type).toString(16)}`
    let size = options.size ?? DEFAULT_SIZE
    let sizeNote: string | undefined
    // Keep half the free space for everyone else: the check must never be the thing that fills a disk.
    const allowed = Math.floor(free / 2 / MiB) * MiB
    if (size > allowed) {
      if (options.size !== undefined) {
        return yield* fail(
          `--size ${options.size} bytes does not fit in ${parent}: ${Math.floor(free / MiB)} MiB free, ` +
            `and the check uses at most half of it. Use a smaller --size or another --dir.`
        )
      }
      size = allowed
      sizeNote = `reduced from 1 GiB: ${Math.floor(free / MiB)} MiB free in ${parent}`
    }
    if (size < MIN_SIZE) {
      return yield* fail(`not enough space in ${parent} for a ${MIN_SIZE / MiB} MiB scratch file`)
    }
    // Whole 128 KiB blocks keep every workload's offsets inside the file.
    size = Math.floor(size / (128 * 1024)) * 128 * 1024

    const dir = yield* Effect.tryPromise({
      try: () => fsp.mkdtemp(path.join(parent, "auraio-check-")),
      catch: (e) => fail(`cannot create a scratch directory in ${parent}: ${errText(e)}`)
    })
    // Synchronous on purpose: it also runs when the process is being interrupted by a signal.
    yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))

    const file = path.join(dir, "data.bin")
    options.onWrite(`writing a ${formatBytes(size)} scratch file in ${parent}`)
    yield* writeData(file, size)
    const smallSize = Math.min(size, READFILE_MAX)
    const smallFile = size > READFILE_MAX ? path.join(dir, "readfile.bin") : file
    if (smallFile !== file) yield* writeData(smallFile, smallSize)

    const directUnsupported = yield* Effect.promise(() =>
      fsp.open(file, constants.O_RDONLY | constants.O_DIRECT).then(
        (fh) => fh.close().then(() => undefined),
        (e: NodeJS.ErrnoException) => `${fsType} refused O_DIRECT (${e.code ?? errText(e)})`
      )
    )
    return {
      dir,
      file,
      size,
      smallFile,
      smallSize,
      fsType,
      directUnsupported,
      sizeNote,
      createSeconds: (performance.now() - started) / 1000
    }
  })

/**
 * Random bytes (so no filesystem can compress or dedupe them away), written in 8 MiB chunks, each an
 * interruptible step, then made durable so O_DIRECT reads measure the device and not writeback.
 */
const writeData = (file: string, size: number) =>
  Effect.acquireUseRelease(
    Effect.tryPromise({
      try: () => fsp.open(file, "w", 0o600),
      catch: (e) => fail(`cannot create ${file}: ${errText(e)}`)
    }),
    (fh) =>
      Effect.gen(function*() {
        const chunk = Buffer.allocUnsafe(Math.min(size, 8 * MiB))
        randomFillSync(chunk)
        for (let pos = 0; pos < size; pos += chunk.length) {
          const n = Math.min(chunk.length, size - pos)
          yield* Effect.tryPromise({
            try: () => fh.write(chunk, 0, n, pos),
            catch: (e) => fail(`cannot write the scratch file ${file}: ${errText(e)}`)
          })
        }
        yield* Effect.tryPromise({
          try: () => fh.datasync(),
          catch: (e) => fail(`cannot sync the scratch file ${file}: ${errText(e)}`)
        })
      }),
    (fh) => Effect.promise(() => fh.close())
  )

/** Reads the file once so the page-cache workloads start warm (O_DIRECT runs evict what they touch). */
export const warm = (file: string, size: number): Effect.Effect<void> =>
  Effect.promise(async () => {
    const fh = await fsp.open(file, "r")
    try {
      const buf = Buffer.allocUnsafe(Math.min(size, 4 * MiB))
      for (let pos = 0; pos < size; pos += buf.length) await fh.read(buf, 0, buf.length, pos)
    } finally {
      await fh.close()
    }
  })
