import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"

/**
 * A one-permit FIFO lock for a File's cursor: what NodeFileSystem gets from
 * `Semaphore.withPermits(1)`, at a fraction of the cost (a File per fiber is the common case, and
 * Effect's semaphore costs more than the io_uring read it guards). The uncontended path is one
 * uninterruptible region with a synchronous take and a synchronous release in the exit handler.
 * Waiting is interruptible; the holder always releases (success, failure or interruption), handing
 * the lock straight to the oldest waiter.
 * @internal
 */
export class FileLock {
  /** @internal */
  held = false
  private readonly waiters: Array<() => void> = []

  private unlock(): void {
    const next = this.waiters.shift()
    if (next === undefined) this.held = false
    else next()
  }

  private readonly onFailure = <E>(cause: Cause.Cause<E>) => {
    this.unlock()
    return Effect.failCause(cause)
  }

  private readonly onSuccess = <A>(a: A) => {
    this.unlock()
    return Effect.succeed(a)
  }

  private wait(ticket: { handedOver: boolean }): Effect.Effect<void> {
    return Effect.async<void>((resume) => {
      const waiter = () => {
        ticket.handedOver = true
        resume(Effect.void)
      }
      this.waiters.push(waiter)
      return Effect.sync(() => {
        const i = this.waiters.indexOf(waiter)
        if (i >= 0) this.waiters.splice(i, 1)
      })
    })
  }

  /**
   * `f` run synchronously under the lock: immediately when the lock is free (a free lock has no
   * waiters, so this is still first come, first served), else queued like any holder.
   */
  readonly sync = <A>(f: () => A): Effect.Effect<A> =>
    Effect.suspend(() => this.held ? this.withLock(Effect.sync(f)) : Effect.succeed(f()))

  readonly withLock = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.uninterruptibleMask((restore) => {
      const run = Effect.matchCauseEffect(restore(self), { onFailure: this.onFailure, onSuccess: this.onSuccess })
      if (!this.held) {
        this.held = true
        return run
      }
      const ticket = { handedOver: false }
      return Effect.matchCauseEffect(restore(this.wait(ticket)), {
        // Interrupted while waiting — possibly just after the lock was handed over: pass it on.
        onFailure: (cause) => {
          if (ticket.handedOver) this.unlock()
          return Effect.failCause(cause)
        },
        onSuccess: () => run
      })
    })
}
