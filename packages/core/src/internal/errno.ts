import { BadArgument, SystemError } from "@effect/platform/Error"
import type { SystemErrorReason } from "@effect/platform/Error"
import { getSystemErrorMap } from "node:util"

/** @internal */
export const ECANCELED = 125
/** @internal */
export const EINTR = 4
/** @internal */
export const EAGAIN = 11

// Built once: util's map is keyed by negative errno, exactly the form native completions carry.
const errnoNames: ReadonlyMap<number, readonly [string, string]> = getSystemErrorMap() as any

/**
 * The errno name ("ENOENT") for a positive or negative errno; "E<n>" when the platform has no name.
 * @internal
 */
export const errnoName = (errno: number): string => {
  const entry = errnoNames.get(-Math.abs(errno))
  return entry === undefined ? `E${Math.abs(errno)}` : entry[0]
}

/**
 * The one errno → reason switch. It agrees with NodeFileSystem's `handleErrnoException` case for
 * case, so a program that matches on `reason` behaves the same on either layer. (EPERM stays
 * "Unknown" there too; parity wins over taste.)
 * @internal
 */
export const reasonForCode = (code: string): SystemErrorReason => {
  switch (code) {
    case "ENOENT":
      return "NotFound"
    case "EACCES":
      return "PermissionDenied"
    case "EEXIST":
      return "AlreadyExists"
    case "EISDIR":
    case "ENOTDIR":
    case "ELOOP":
      return "BadResource"
    case "EBUSY":
      return "Busy"
    default:
      return "Unknown"
  }
}

const quote = (p: string | number) => (typeof p === "number" ? "" : ` '${p}'`)

/**
 * A Node-shaped `ErrnoException` (same `message`, `code`, `errno`, `syscall`, `path`, `dest`) used as
 * the `cause`, so logs read the same as with `node:fs`.
 * @internal
 */
export const errnoException = (
  errno: number,
  syscall: string,
  pathOrDescriptor?: string | number,
  dest?: string
): NodeJS.ErrnoException => {
  const neg = -Math.abs(errno)
  const entry = errnoNames.get(neg)
  const code = entry === undefined ? `E${-neg}` : entry[0]
  const text = entry === undefined ? "unknown error" : entry[1]
  let message = `${code}: ${text}, ${syscall}`
  if (pathOrDescriptor !== undefined && typeof pathOrDescriptor === "string") {
    message += quote(pathOrDescriptor)
    if (dest !== undefined) message += ` -> '${dest}'`
  }
  const err = new Error(message) as NodeJS.ErrnoException
  err.errno = neg
  err.code = code
  err.syscall = syscall
  if (typeof pathOrDescriptor === "string") err.path = pathOrDescriptor
  if (dest !== undefined) (err as any).dest = dest
  return err
}

/**
 * Turn a native completion result (`-errno`) into a `SystemError`.
 * @internal
 */
export const fromErrno = (
  result: number,
  method: string,
  syscall: string,
  pathOrDescriptor?: string | number,
  dest?: string
): SystemError => {
  const cause = errnoException(result, syscall, pathOrDescriptor, dest)
  return new SystemError({
    reason: reasonForCode(cause.code!),
    module: "FileSystem",
    method,
    ...(pathOrDescriptor !== undefined ? { pathOrDescriptor } : {}),
    syscall,
    description: cause.message,
    cause
  })
}

/** @internal */
export const badArgument = (method: string, description: string): BadArgument =>
  new BadArgument({ module: "FileSystem", method, description })
