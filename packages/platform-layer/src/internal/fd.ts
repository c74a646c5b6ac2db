import type { AuraEngine } from "@auraio/core"
import type * as PlatformError from "@effect/platform/Error"
import * as Effect from "effect/Effect"

/**
 * Opens `path`, runs `use` on the fd and closes it whatever happens. The open itself stays
 * interruptible (an `openat` blocked on a FIFO with no writer must not pin the fiber; the engine
 * closes an fd whose open completes after its cancel). Closing waits for `use` to finish, and an
 * interrupted op only finishes once the kernel has answered, so the fd never closes under an op in
 * flight.
 * @internal
 */
export const withFd = <A, E, R>(
  engine: AuraEngine.Service,
  path: string,
  flag: string | number,
  mode: number | undefined,
  use: (fd: number) => Effect.Effect<A, E, R>
): Effect.Effect<A, E | PlatformError.PlatformError, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(
      restore(engine.openFd(path, flag, mode)),
      (fd) => Effect.ensuring(restore(use(fd)), Effect.orDie(engine.close(fd)))
    )
  )
