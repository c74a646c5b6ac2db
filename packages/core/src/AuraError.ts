/**
 * Errors of the Effect API. Operation failures are `@effect/platform` `PlatformError`s (one errno
 * switch shared with NodeFileSystem); a ring that cannot be set up is an `EngineSetupError` in the
 * layer's error channel.
 *
 * @since 0.1.0
 */
import type { BadArgument, SystemError, SystemErrorReason } from "@effect/platform/Error"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"
import * as internal from "./internal/errno.js"

/**
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = Symbol.for("@auraio/core/AuraError")

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * Why the engine could not start: the kernel lacks io_uring (`Unsupported`: ENOSYS, EINVAL), it is
 * switched off by sysctl or a seccomp profile (`Disabled`: EPERM, EACCES), locked memory is too low
 * (`MemoryLimit`: ENOMEM), or anything else (`Unknown`).
 *
 * @since 0.1.0
 * @category models
 */
export const EngineSetupReason = Schema.Literal("Unsupported", "Disabled", "MemoryLimit", "Unknown")

/**
 * @since 0.1.0
 * @category models
 */
export type EngineSetupReason = typeof EngineSetupReason.Type

/**
 * The engine could not be set up. `message` names the cause in a sentence (for example
 * `kernel.io_uring_disabled=2`), `errno` is the positive errno when one is known.
 *
 * @since 0.1.0
 * @category errors
 */
export class EngineSetupError extends Schema.TaggedError<EngineSetupError>("@auraio/core/EngineSetupError")(
  "EngineSetupError",
  {
    reason: EngineSetupReason,
    errno: Schema.optional(Schema.Number),
    code: Schema.optional(Schema.String),
    message: Schema.String,
    cause: Schema.optional(Schema.Defect)
  }
) {
  /**
   * @since 0.1.0
   */
  readonly [TypeId]: TypeId = TypeId

  /**
   * @since 0.1.0
   */
  static is(u: unknown): u is EngineSetupError {
    return Predicate.hasProperty(u, TypeId) && Predicate.isTagged(u, "EngineSetupError")
  }
}

/**
 * The reason an errno maps to — the same switch as NodeFileSystem's, so code matching on
 * `reason` behaves identically on both layers: ENOENT → NotFound, EACCES → PermissionDenied,
 * EEXIST → AlreadyExists, EISDIR / ENOTDIR / ELOOP → BadResource, EBUSY → Busy, anything else
 * (EPERM included, as in NodeFileSystem) → Unknown.
 *
 * @since 0.1.0
 * @category errno
 */
export const reasonForErrno = (errno: number): SystemErrorReason => internal.reasonForCode(internal.errnoName(errno))

/**
 * Build the `SystemError` for a failed syscall: `result` is the negative (or positive) errno as a
 * completion carries it. `description` reads like Node's (`ENOENT: no such file or directory, open
 * '/x'`) and `cause` is a Node-shaped `ErrnoException`.
 *
 * @since 0.1.0
 * @category errno
 */
export const fromErrno: (
  result: number,
  method: string,
  syscall: string,
  pathOrDescriptor?: string | number,
  dest?: string
) => SystemError = internal.fromErrno

/**
 * The symbolic name of an errno (`-2` or `2` → `"ENOENT"`).
 *
 * @since 0.1.0
 * @category errno
 */
export const errnoName: (errno: number) => string = internal.errnoName

/**
 * A `BadArgument` from the `FileSystem` module, as NodeFileSystem raises for invalid input.
 *
 * @since 0.1.0
 * @category constructors
 */
export const badArgument: (method: string, description: string) => BadArgument = internal.badArgument
