// Which backend AuraFileSystem.layer picks on this machine, decided once before the suites are
// collected, so an io_uring run on a kernel without io_uring is a stated skip, not a silent
// fallback test.
import { AuraFileSystem } from "@auraio/platform-layer"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as NFS from "node:fs"

export const probeBackend: Promise<AuraFileSystem.Backend> = Effect.runPromise(
  Effect.scoped(Effect.map(Layer.build(AuraFileSystem.layer), (ctx) => Context.get(ctx, AuraFileSystem.Backend)))
)

/** A fallback the kernel or sandbox imposes (skip), as opposed to one that should not happen (fail). */
export const kernelLacksIoUring = (reason: string): boolean => {
  let disabled = "0"
  try {
    disabled = NFS.readFileSync("/proc/sys/kernel/io_uring_disabled", "utf8").trim()
  } catch {
    // no sysctl: a kernel without io_uring, or an old one
    return true
  }
  return disabled !== "0" || /ENOSYS|EPERM|forced by/.test(reason)
}
