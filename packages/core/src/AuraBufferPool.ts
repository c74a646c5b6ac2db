/**
 * Page-aligned buffers (O_DIRECT-ready) from a pool with power-of-two size classes, 4 KiB … 128 MiB.
 * Buffers are acquired in a `Scope` and go back when it closes — never while an op still holds them.
 * A byte cap bounds the pool: `acquire` waits at the cap, `tryAcquire` does not.
 *
 * @since 0.1.0
 */
import type { BadArgument } from "@effect/platform/Error"
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as internal from "./internal/bufferPool.js"

/**
 * The pool service; `AuraEngine.layer` provides it next to the engine.
 *
 * @example
 * ```ts
 * import { AuraBufferPool } from "@auraio/core"
 * import * as Effect from "effect/Effect"
 *
 * const program = Effect.scoped(
 *   Effect.gen(function*() {
 *     const pool = yield* AuraBufferPool
 *     const buf = yield* pool.acquire(64 * 1024) // back in the pool when the scope closes
 *     return buf.byteLength
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category tags
 */
export class AuraBufferPool extends Context.Tag("@auraio/core/AuraBufferPool")<
  AuraBufferPool,
  AuraBufferPool.Service
>() {
  /**
   * Smallest size class (4 KiB).
   *
   * @since 0.1.0
   */
  static readonly MIN_BUFFER: number = internal.MIN_BUFFER

  /**
   * Largest size class (128 MiB).
   *
   * @since 0.1.0
   */
  static readonly MAX_BUFFER: number = internal.MAX_BUFFER
}

/**
 * @since 0.1.0
 */
export declare namespace AuraBufferPool {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    /** The byte cap: memory the pool may hold, in use or cached. */
    readonly capBytes: number
    /**
     * A buffer of exactly `size` bytes (the start is page-aligned; the memory is not zeroed), returned
     * to the pool when the scope closes — or, if an op still holds it then, when that op completes.
     * Waits while the pool is at its cap (first come, first served); interrupting the wait leaves
     * nothing behind. `BadArgument` when `size` is not a positive integer, exceeds 128 MiB, or could
     * never fit under the cap.
     */
    readonly acquire: (size: number) => Effect.Effect<Uint8Array, BadArgument, Scope.Scope>
    /** Like `acquire`, but `None` instead of waiting when the cap is reached. */
    readonly tryAcquire: (size: number) => Effect.Effect<Option.Option<Uint8Array>, BadArgument, Scope.Scope>
    readonly stats: Effect.Effect<Stats>
  }

  /**
   * @since 0.1.0
   * @category models
   */
  export interface Stats {
    readonly capBytes: number
    /** Bytes allocated: in use plus cached for reuse. */
    readonly allocatedBytes: number
    /** Bytes of the buffers handed out, rounded up to their size class. */
    readonly inUseBytes: number
    readonly cachedBytes: number
    /** Buffers handed out and not yet back. */
    readonly inUse: number
    /** Fibers waiting at the cap. */
    readonly waiting: number
    /** Buffers handed out since start. */
    readonly acquired: number
    /** Of those, how many came from the cache rather than a fresh allocation. */
    readonly reused: number
    /** Buffers whose scope closed while an op still held them; they return on that op's completion. */
    readonly pendingRelease: number
    /** Registered (fixed) buffers, with `registeredBuffers: true`: how many, their size, how many out. */
    readonly fixed: { readonly count: number; readonly size: number; readonly inUse: number }
  }
}
