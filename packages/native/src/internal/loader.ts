import { existsSync } from "node:fs"
import { createRequire } from "node:module"

/** @internal */
export interface NativeEngine {
  readonly counters: Float64Array
  readonly latency: Float64Array
  readonly pairs: Float64Array
  readonly ringCount: number
  readonly supported: ReadonlyArray<boolean>
  readonly shared: boolean
  readonly ringFds: ReadonlyArray<number>
  read(fd: number, buf: Uint8Array, len: number, pos: number): number
  write(fd: number, buf: Uint8Array, len: number, pos: number): number
  readv(fd: number, bufs: ReadonlyArray<Uint8Array>, pos: number): number
  writev(fd: number, bufs: ReadonlyArray<Uint8Array>, pos: number): number
  fsync(fd: number, datasync: boolean): number
  openat(dirfd: number, path: string, flags: number, mode: number): number
  close(fd: number): number
  statx(dirfd: number, path: string, flags: number, mask: number, out: Uint8Array): number
  fallocate(fd: number, mode: number, offset: number, len: number): number
  ftruncate(fd: number, len: number): number
  syncFileRange(fd: number, offset: number, len: number, flags: number): number
  unlinkat(dirfd: number, path: string, flags: number): number
  renameat(olddirfd: number, oldpath: string, newdirfd: number, newpath: string, flags: number): number
  mkdirat(dirfd: number, path: string, mode: number): number
  symlinkat(target: string, newdirfd: number, linkpath: string): number
  linkat(olddirfd: number, oldpath: string, newdirfd: number, newpath: string, flags: number): number
  writeFsync(fd: number, buf: Uint8Array, len: number, pos: number, datasync: boolean): number
  readBatch(
    fd: number,
    buf: Uint8Array,
    offsets: Float64Array,
    lengths: Float64Array,
    positions: Float64Array,
    count: number,
    ids: Float64Array
  ): number
  readMany(
    fds: Int32Array,
    positions: Float64Array,
    lengths: Int32Array,
    bases: Int32Array,
    offsets: Float64Array,
    buffers: ReadonlyArray<Uint8Array>,
    count: number,
    window: number,
    failFast: boolean,
    results: Int32Array
  ): number
  readFixed(fd: number, buf: Uint8Array, len: number, pos: number, bufIndex: number): number
  writeFixed(fd: number, buf: Uint8Array, len: number, pos: number, bufIndex: number): number
  registerBuffers(bufs: ReadonlyArray<Uint8Array>): number
  unregisterBuffers(): number
  cancel(id: number): void
  cancelAll(): void
  setLimit(ring: number, limit: number): void
  destroy(): void
  /** inside dispatch only: recycle the delivered batch, run the next round, return its size (0: stop) */
  next(): number
}

/** @internal */
export interface NativeOpenOptions {
  readonly rings: number
  readonly entries: number
  readonly sqpoll: boolean
  readonly sqpollIdleMs: number
  readonly iowqBounded: number
  readonly iowqUnbounded: number
  readonly submitBatch: number
  readonly forceFallbackMask: number
  readonly shared: boolean
}

/** @internal */
export interface Addon {
  open(options: NativeOpenOptions, dispatch: (pairs: number) => void): NativeEngine | { errno: number; stage: string }
  allocAligned(size: number, alignment: number): Uint8Array | null
  latencyBounds(): Array<number>
  opNames(): Array<string>
  liveObjects(): Array<number>
  readonly counterStride: number
  readonly deliverCapacity: number
}

/** @internal */
export class AddonLoadError extends Error {
  readonly code = "ERR_AURAIO_ADDON"
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = "AddonLoadError"
  }
}

let cached: Addon | undefined
let failure: AddonLoadError | undefined

// Works from src/internal (vitest, tsx) and from dist/internal (built package): both sit two levels
// below the package root, where node-gyp puts build/Release.
const candidates = ["../../build/Release/auraio.node", "../../build/Debug/auraio.node"]

/** @internal */
export const loadAddon = (): Addon => {
  if (cached) return cached
  if (failure) throw failure
  const require = createRequire(import.meta.url)
  if (process.platform !== "linux") {
    failure = new AddonLoadError(`@auraio/native needs Linux (io_uring); this platform is ${process.platform}.`)
    throw failure
  }
  const found = candidates.map((c) => new URL(c, import.meta.url)).find((u) => existsSync(u))
  if (!found) {
    failure = new AddonLoadError(
      "the native addon is not built (packages/native/build/Release/auraio.node is missing). " +
        "Run `node scripts/bootstrap.mjs` from the repository root, or `node-gyp rebuild --nodedir=/usr` in packages/native."
    )
    throw failure
  }
  try {
    cached = require(found.pathname) as Addon
    return cached
  } catch (cause) {
    const msg = cause instanceof Error ? cause.message : String(cause)
    const hint = /liburing/.test(msg)
      ? " liburing is missing at run time: install it (Debian/Ubuntu: apt-get install liburing2)."
      : /NODE_MODULE_VERSION|invalid ELF|wrong ELF class/.test(msg)
        ? " The addon was built for another Node.js version or architecture: rebuild it (AURAIO_REBUILD=1 node scripts/bootstrap.mjs)."
        : ""
    failure = new AddonLoadError(`could not load the native addon ${found.pathname}: ${msg}.${hint}`, { cause })
    throw failure
  }
}
