// Which backend AuraFileSystem.layer picks on this machine, decided once before the suites are
// collected, so an io_uring run on a kernel without io_uring is a stated skip, not a silent
// fallback test.
import { AuraFileSystem } from "@auraio/platform-layer"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

export const probeBackend: Promise<AuraFileSystem.Backend> = Effect.runPromise(
  Effect.scoped(Effect.map(Layer.build(AuraFileSystem.layer), (ctx) => {
    const backend = Context.get(ctx, AuraFileSystem.Backend)
    return backend._tag === "IoUring" ? { _tag: "IoUring", engine: backend.engine } as const : backend
  }))
)
