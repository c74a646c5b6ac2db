import * as PlatformError from "@effect/platform/Error"

/**
 * The engine names its failures after the syscall; NodeFileSystem names them after the FileSystem
 * method ("readFile", not "read"). Re-labelling keeps `reason`, `syscall`, `description` and the
 * Node-shaped `cause`, so code matching on either layer's errors sees the same thing.
 * @internal
 */
export const relabel = (method: string, pathOrDescriptor?: string | number) =>
(error: PlatformError.PlatformError): PlatformError.PlatformError =>
  error._tag === "SystemError"
    ? new PlatformError.SystemError({
      reason: error.reason,
      module: "FileSystem",
      method,
      ...(error.description !== undefined ? { description: error.description } : {}),
      ...(error.syscall !== undefined ? { syscall: error.syscall } : {}),
      ...(pathOrDescriptor !== undefined
        ? { pathOrDescriptor }
        : error.pathOrDescriptor !== undefined
        ? { pathOrDescriptor: error.pathOrDescriptor }
        : {}),
      ...(error.cause !== undefined ? { cause: error.cause } : {})
    })
    : new PlatformError.BadArgument({
      module: "FileSystem",
      method,
      ...(error.description !== undefined ? { description: error.description } : {}),
      ...(error.cause !== undefined ? { cause: error.cause } : {})
    })

/**
 * The errno name behind a SystemError, when its cause carries one (engine errors carry a
 * Node-shaped ErrnoException).
 * @internal
 */
export const errnoCode = (error: PlatformError.PlatformError): string | undefined => {
  const cause = error.cause as { readonly code?: unknown } | undefined
  return typeof cause === "object" && cause !== null && typeof cause.code === "string" ? cause.code : undefined
}

/** @internal */
export const systemError = (
  reason: PlatformError.SystemErrorReason,
  method: string,
  pathOrDescriptor: string | number,
  syscall: string,
  description: string
) =>
  new PlatformError.SystemError({ reason, module: "FileSystem", method, pathOrDescriptor, syscall, description })

/** @internal */
export const badArgument = (method: string, description: string) =>
  new PlatformError.BadArgument({ module: "FileSystem", method, description })

/**
 * NodeFileSystem reads and writes a File at an explicit position (pread/pwrite), which fails with
 * ESPIPE on pipes, FIFOs and sockets. io_uring ignores the offset on such files instead, so the layer
 * raises the same error itself.
 * @internal
 */
export const espipe = (method: string, fd: number, syscall: "read" | "write") =>
  new PlatformError.SystemError({
    reason: "Unknown",
    module: "FileSystem",
    method,
    pathOrDescriptor: fd,
    syscall,
    description: `ESPIPE: invalid seek, ${syscall}`
  })

/** Types on which a positional read or write fails with ESPIPE. @internal */
export const isUnseekable = (type: string) => type === "FIFO" || type === "Socket"
