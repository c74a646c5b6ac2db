import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { AuraEngine } from "../AuraEngine.js"
import { Tracker } from "./op.js"
import type { Ops } from "./ops.js"
import { SYNC_FILE_RANGE_DEFAULT } from "./ops.js"
import type { makeSink, makeStream } from "./stream.js"

/** @internal */
export interface FileDeps {
  readonly ops: Ops
  readonly cancel: (id: number) => void
  readonly stream: (t: Tracker) => ReturnType<typeof makeStream>
  readonly sink: (t: Tracker) => ReturnType<typeof makeSink>
  readonly drainBound: Duration.DurationInput
}

class AuraFileImpl implements AuraEngine.File {
  readonly tracker = new Tracker()
  constructor(readonly fd: number, readonly path: string, private readonly d: FileDeps) {}

  get inFlight() {
    return this.tracker.inFlight
  }
  read(buffer: Uint8Array, position?: AuraEngine.Position) {
    return this.d.ops.read(this.fd, buffer, position, this.tracker)
  }
  readAlloc(length: number, position?: AuraEngine.Position) {
    return this.d.ops.readAlloc(this.fd, length, position, this.tracker)
  }
  readExactly(buffer: Uint8Array, position: AuraEngine.Position) {
    return this.d.ops.readExactly(this.fd, buffer, position, this.tracker)
  }
  write(buffer: Uint8Array, position?: AuraEngine.Position) {
    return this.d.ops.write(this.fd, buffer, position, this.tracker)
  }
  writeAll(buffer: Uint8Array, position?: AuraEngine.Position) {
    return this.d.ops.writeAll(this.fd, buffer, position, this.tracker)
  }
  readv(buffers: ReadonlyArray<Uint8Array>, position?: AuraEngine.Position) {
    return this.d.ops.readv(this.fd, buffers, position, this.tracker)
  }
  writev(buffers: ReadonlyArray<Uint8Array>, position?: AuraEngine.Position) {
    return this.d.ops.writev(this.fd, buffers, position, this.tracker)
  }
  get sync() {
    return this.d.ops.fsync(this.fd, false, this.tracker)
  }
  get datasync() {
    return this.d.ops.fsync(this.fd, true, this.tracker)
  }
  writeAndSync(buffer: Uint8Array, position: AuraEngine.Position, options?: { readonly datasync?: boolean | undefined }) {
    return this.d.ops.writeAndSync(this.fd, buffer, position, options?.datasync ?? false, this.tracker)
  }
  get stat() {
    return this.d.ops.stat(this.fd, true, this.tracker)
  }
  truncate(length: AuraEngine.Position) {
    return this.d.ops.truncate(this.fd, length, this.tracker)
  }
  fallocate(offset: AuraEngine.Position, length: AuraEngine.Position, mode?: number) {
    return this.d.ops.fallocate(this.fd, offset, length, mode ?? 0, this.tracker)
  }
  syncRange(offset: AuraEngine.Position, length: AuraEngine.Position, flags?: number) {
    return this.d.ops.syncRange(this.fd, offset, length, flags ?? SYNC_FILE_RANGE_DEFAULT, this.tracker)
  }
  stream(options?: AuraEngine.StreamOptions) {
    return this.d.stream(this.tracker)(this.fd, options)
  }
  sink(options?: AuraEngine.SinkOptions) {
    return this.d.sink(this.tracker)(this.fd, options)
  }

  // Wait for this handle's ops; past the bound cancel them and wait for the kernel; then close.
  get release(): Effect.Effect<void> {
    const t = this.tracker
    // Finalizers run uninterruptibly; the wait itself must be interruptible for the bound to bite.
    return Effect.timeout(Effect.interruptible(t.drained), this.d.drainBound).pipe(
      Effect.catchAll(() => Effect.zipRight(Effect.sync(() => t.cancelAll(this.d.cancel)), t.drained)),
      Effect.zipRight(Effect.orDie(this.d.ops.close(this.fd)))
    )
  }
}

/**
 * `open` for the life of a scope. The open itself stays interruptible (a FIFO open can block); once
 * the fd exists, registering its release cannot be interrupted away.
 * @internal
 */
export const makeOpen = (d: FileDeps) =>
(path: string, options?: AuraEngine.OpenOptions) =>
  Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(restore(d.ops.openFd(path, options?.flag, options?.mode)), (fd) => {
      const file = new AuraFileImpl(fd, path, d)
      return Effect.as(Effect.addFinalizer(() => file.release), file as AuraEngine.File)
    })
  ) as Effect.Effect<AuraEngine.File, import("@effect/platform/Error").PlatformError, Scope.Scope>
