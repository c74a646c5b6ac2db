import type { BadArgument } from "@effect/platform/Error"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import type { AuraBufferPool } from "../AuraBufferPool.js"
import { badArgument } from "./errno.js"
import { show } from "./validate.js"

/** @internal */
export const MIN_CLASS_SHIFT = 12
/** @internal */
export const MAX_CLASS_SHIFT = 27
/** @internal */
export const MIN_BUFFER = 1 << MIN_CLASS_SHIFT
/** @internal */
export const MAX_BUFFER = 1 << MAX_CLASS_SHIFT

/** @internal */
export type PoolStats = AuraBufferPool.Stats

/** @internal */
export interface PoolOptions {
  readonly capBytes: number
  readonly alloc: (size: number) => Uint8Array
}

/** One per buffer the pool ever allocated; the view handed out shares its ArrayBuffer. @internal */
export interface Slot {
  readonly backing: Uint8Array
  readonly cls: number
  holds: number
  releasing: boolean
  /** Index among the ring's registered (fixed) buffers, or -1. */
  readonly fixedIndex: number
}

interface Waiter {
  readonly cls: number
  readonly size: number
  resume: ((effect: Effect.Effect<Uint8Array>) => void) | undefined
  granted: Uint8Array | undefined
  cancelled: boolean
}

/** @internal */
export const classOf = (size: number): number => {
  let shift = MIN_CLASS_SHIFT
  while ((1 << shift) < size) shift++
  return shift
}

/**
 * The pool is plain mutable state driven from one JS thread; only the waiting path and the scope
 * wiring are Effects. Ops that put a pool buffer in flight call `hold`/`unhold` so a scope that closes
 * early defers the return until the kernel has let go of the memory.
 * @internal
 */
export class BufferPool {
  readonly capBytes: number
  private readonly alloc: (size: number) => Uint8Array
  private readonly free: Array<Array<Uint8Array>> = []
  private readonly slots = new WeakMap<ArrayBufferLike, Slot>()
  private readonly waiters: Array<Waiter> = []
  allocatedBytes = 0
  inUseBytes = 0
  inUse = 0
  acquired = 0
  reused = 0
  pendingRelease = 0
  /** Registered buffers that are free; they serve acquires up to `fixedSize` first. */
  private readonly fixedFree: Array<Uint8Array> = []
  fixedSize = 0
  fixedCount = 0
  fixedUsed = 0

  /**
   * Pre-allocate `count` buffers of `size` bytes (a power of two) and hand them to `register`; when
   * it accepts them they become the pool's fixed buffers. Their bytes count against the cap.
   */
  registerFixed(count: number, size: number, register: (bufs: ReadonlyArray<Uint8Array>) => boolean): boolean {
    const cls = classOf(size)
    if ((1 << cls) !== size || count * size > this.capBytes) return false
    const bufs = Array.from({ length: count }, () => this.alloc(size))
    if (!register(bufs)) return false
    bufs.forEach((backing, fixedIndex) => {
      this.slots.set(backing.buffer, { backing, cls, holds: 0, releasing: false, fixedIndex })
      this.fixedFree.push(backing)
    })
    this.allocatedBytes += count * size
    this.fixedSize = size
    this.fixedCount = count
    return true
  }

  /** Count of pool buffers currently handed out: lets the op hot path skip the WeakMap when zero. */
  live = 0
  closed = false

  constructor(options: PoolOptions) {
    this.capBytes = options.capBytes
    this.alloc = options.alloc
    for (let i = 0; i <= MAX_CLASS_SHIFT; i++) this.free.push([])
  }

  get cachedBytes(): number {
    return this.allocatedBytes - this.inUseBytes
  }

  stats(): PoolStats {
    return {
      capBytes: this.capBytes,
      allocatedBytes: this.allocatedBytes,
      inUseBytes: this.inUseBytes,
      cachedBytes: this.cachedBytes,
      inUse: this.inUse,
      waiting: this.waiters.length,
      acquired: this.acquired,
      reused: this.reused,
      pendingRelease: this.pendingRelease,
      fixed: { count: this.fixedCount, size: this.fixedSize, inUse: this.fixedUsed }
    }
  }

  validate(method: string, size: number): BadArgument | undefined {
    if (!Number.isSafeInteger(size) || size <= 0) {
      return badArgument(method, `size must be a positive integer, got ${show(size)}`)
    }
    if (size > MAX_BUFFER) return badArgument(method, `size ${size} exceeds the largest class (${MAX_BUFFER})`)
    if ((1 << classOf(size)) > this.capBytes) {
      return badArgument(method, `size ${size} can never fit under the pool cap of ${this.capBytes} bytes`)
    }
    return undefined
  }

  /** Take a buffer now, or `undefined` when the cap forbids it. */
  tryTake(size: number): Uint8Array | undefined {
    if (this.closed || this.waiters.length > 0) return undefined
    return this.take(classOf(size), size)
  }

  private take(cls: number, size: number): Uint8Array | undefined {
    if (size <= this.fixedSize && this.fixedFree.length > 0) {
      const fixed = this.fixedFree.pop()!
      this.fixedUsed++
      this.inUseBytes += this.fixedSize
      this.inUse++
      this.live++
      this.acquired++
      return size === fixed.length ? fixed : fixed.subarray(0, size)
    }
    const bytes = 1 << cls
    const list = this.free[cls]!
    let backing = list.pop()
    if (backing !== undefined) {
      this.reused++
    } else {
      if (this.allocatedBytes + bytes > this.capBytes) this.evict(this.allocatedBytes + bytes - this.capBytes, cls)
      if (this.allocatedBytes + bytes > this.capBytes) return undefined
      backing = this.alloc(bytes)
      this.allocatedBytes += bytes
      this.slots.set(backing.buffer, { backing, cls, holds: 0, releasing: false, fixedIndex: -1 })
    }
    this.inUseBytes += bytes
    this.inUse++
    this.live++
    this.acquired++
    return size === bytes ? backing : backing.subarray(0, size)
  }

  // Cached buffers of other classes are dropped (left to the GC finalizer) to make room.
  private evict(need: number, keep: number): void {
    for (let c = MAX_CLASS_SHIFT; c >= MIN_CLASS_SHIFT && need > 0; c--) {
      if (c === keep) continue
      const list = this.free[c]!
      while (list.length > 0 && need > 0) {
        const b = list.pop()!
        this.slots.delete(b.buffer)
        this.allocatedBytes -= 1 << c
        need -= 1 << c
      }
    }
  }

  /** Hot path: the pool slot behind a buffer, if it is a pool buffer. */
  slotOf(buf: Uint8Array): Slot | undefined {
    return this.live === 0 ? undefined : this.slots.get(buf.buffer)
  }

  hold(slot: Slot): void {
    slot.holds++
  }

  unhold(slot: Slot): void {
    if (--slot.holds === 0 && slot.releasing) {
      slot.releasing = false
      this.pendingRelease--
      this.put(slot)
    }
  }

  /** Return a buffer; deferred while an op still holds it. */
  give(buf: Uint8Array): void {
    const slot = this.slots.get(buf.buffer)
    if (slot === undefined) return
    if (slot.holds > 0) {
      if (!slot.releasing) {
        slot.releasing = true
        this.pendingRelease++
      }
      return
    }
    this.put(slot)
  }

  private put(slot: Slot): void {
    const bytes = 1 << slot.cls
    this.inUseBytes -= bytes
    this.inUse--
    this.live--
    if (slot.fixedIndex >= 0) {
      // Registered memory is never dropped: the ring holds it until the engine closes.
      this.fixedUsed--
      this.fixedFree.push(slot.backing)
      if (!this.closed) this.wake()
      return
    }
    if (this.closed) {
      this.slots.delete(slot.backing.buffer)
      this.allocatedBytes -= bytes
      return
    }
    this.free[slot.cls]!.push(slot.backing)
    this.wake()
  }

  // FIFO: a large waiter at the head is not starved by small ones behind it.
  private wake(): void {
    while (this.waiters.length > 0) {
      const w = this.waiters[0]!
      const buf = this.take(w.cls, w.size)
      if (buf === undefined) return
      this.waiters.shift()
      w.granted = buf
      const resume = w.resume
      w.resume = undefined
      resume?.(Effect.succeed(buf))
    }
  }

  /** Wait for a buffer; interrupting the wait gives back a grant that raced the interruption. */
  wait(size: number): Effect.Effect<Uint8Array> {
    return Effect.async<Uint8Array>((resume) => {
      const cls = classOf(size)
      const now = this.waiters.length === 0 ? this.take(cls, size) : undefined
      if (now !== undefined) {
        resume(Effect.succeed(now))
        return
      }
      const w: Waiter = { cls, size, resume, granted: undefined, cancelled: false }
      this.waiters.push(w)
      return Effect.sync(() => {
        w.cancelled = true
        w.resume = undefined
        if (w.granted !== undefined) {
          this.give(w.granted)
        } else {
          const i = this.waiters.indexOf(w)
          if (i >= 0) this.waiters.splice(i, 1)
          // The head may have been the only thing blocking smaller waiters.
          this.wake()
        }
      })
    })
  }

  acquire(size: number): Effect.Effect<Uint8Array, BadArgument, Scope.Scope> {
    return Effect.suspend(() => {
      const bad = this.validate("acquire", size)
      if (bad !== undefined) return Effect.fail(bad)
      return Effect.uninterruptibleMask((restore) =>
        Effect.flatMap(restore(this.wait(size)), (buf) =>
          Effect.as(Effect.addFinalizer(() => Effect.sync(() => this.give(buf))), buf))
      )
    })
  }

  tryAcquire(size: number): Effect.Effect<Option.Option<Uint8Array>, BadArgument, Scope.Scope> {
    return Effect.suspend(() => {
      const bad = this.validate("tryAcquire", size)
      if (bad !== undefined) return Effect.fail(bad)
      return Effect.uninterruptible(Effect.suspend(() => {
        const buf = this.tryTake(size)
        if (buf === undefined) return Effect.succeed(Option.none())
        return Effect.as(Effect.addFinalizer(() => Effect.sync(() => this.give(buf))), Option.some(buf))
      }))
    })
  }

  /** Drop every cached buffer; buffers still in use are freed as they come back. */
  close(): void {
    this.closed = true
    for (let c = MIN_CLASS_SHIFT; c <= MAX_CLASS_SHIFT; c++) {
      for (const b of this.free[c]!) {
        this.slots.delete(b.buffer)
        this.allocatedBytes -= 1 << c
      }
      this.free[c]!.length = 0
    }
    for (const w of this.waiters.splice(0)) {
      w.resume?.(Effect.interrupt)
      w.resume = undefined
    }
  }
}
