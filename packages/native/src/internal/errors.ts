import { readFileSync } from "node:fs"
import * as os from "node:os"
import * as util from "node:util"

/** @internal */
export type SetupErrorCode = "ENOSYS" | "EPERM" | "ENOMEM" | "EMFILE" | "ENFILE" | "EINVAL" | "ERR_AURAIO_ADDON" | string

/**
 * io_uring could not be set up. `reason` is a sentence naming the cause, so the layers above can log
 * one line and fall back.
 * @internal
 */
export class EngineSetupError extends Error {
  readonly _tag = "EngineSetupError"
  constructor(
    readonly code: SetupErrorCode,
    readonly errno: number,
    readonly reason: string,
    readonly stage: string = "io_uring_queue_init_params"
  ) {
    super(`io_uring engine setup failed (${code}): ${reason}`)
    this.name = "EngineSetupError"
  }
}

/** @internal */
export class EngineClosedError extends Error {
  readonly code = "ERR_AURAIO_ENGINE_CLOSED"
  constructor() {
    super("the engine is closed: no new operations are accepted")
    this.name = "EngineClosedError"
  }
}

/** Node-style error: `code` "ENOENT", negative `errno`, `syscall`, optional `path`/`dest`. @internal */
export interface ErrnoException extends Error {
  errno: number
  code: string
  syscall: string
  path?: string
  dest?: string
}

const errnoNames: Map<number, string> = new Map(
  Object.entries(os.constants.errno).map(([name, n]) => [n as number, name])
)

/** @internal */
export const errnoName = (errno: number): string => errnoNames.get(Math.abs(errno)) ?? `E${Math.abs(errno)}`

/** @internal */
export const errnoCode = (name: string): number | undefined =>
  (os.constants.errno as Record<string, number | undefined>)[name]

const sysMessage = (negErrno: number): string => {
  try {
    const entry = util.getSystemErrorMap().get(negErrno)
    if (entry) return entry[1]
  } catch {
    // older runtimes: fall through
  }
  return "unknown error"
}

/** @internal */
export const errnoException = (result: number, syscall: string, path?: string, dest?: string): ErrnoException => {
  const errno = -Math.abs(result)
  const code = errnoName(errno)
  let message = `${code}: ${sysMessage(errno)}, ${syscall}`
  if (path !== undefined) message += ` '${path}'`
  if (dest !== undefined) message += ` -> '${dest}'`
  const err = new Error(message) as ErrnoException
  err.errno = errno
  err.code = code
  err.syscall = syscall
  if (path !== undefined) err.path = path
  if (dest !== undefined) err.dest = dest
  return err
}

const readSysctl = (path: string): string | undefined => {
  try {
    return readFileSync(path, "utf8").trim()
  } catch {
    return undefined
  }
}

const memlockKiB = (): string => {
  try {
    const line = readFileSync("/proc/self/limits", "utf8")
      .split("\n")
      .find((l) => l.startsWith("Max locked memory"))
    const soft = line?.split(/\s{2,}/)[1]
    if (soft === undefined) return "unknown"
    return soft === "unlimited" ? "unlimited" : `${Math.round(Number(soft) / 1024)} KiB`
  } catch {
    return "unknown"
  }
}

/** Explains a setup errno in one sentence. @internal */
export const setupReason = (code: string, stage: string): string => {
  switch (code) {
    case "ENOSYS":
      return "io_uring_setup is not implemented here (kernel built without CONFIG_IO_URING, a kernel older than 5.1, or a sandbox such as gVisor)."
    case "EPERM": {
      const disabled = readSysctl("/proc/sys/kernel/io_uring_disabled")
      if (disabled === "2") return "io_uring is disabled for every process: kernel.io_uring_disabled=2."
      if (disabled === "1")
        return "kernel.io_uring_disabled=1: only members of kernel.io_uring_group (or CAP_SYS_ADMIN) may create rings."
      return `io_uring_setup was denied although kernel.io_uring_disabled=${disabled ?? "unknown"}: most likely a seccomp filter (the default profile of Docker 25+/containerd 2, Kubernetes RuntimeDefault).`
    }
    case "ENOMEM":
      return `not enough lockable memory for the rings (RLIMIT_MEMLOCK is ${memlockKiB()}): raise it (ulimit -l, LimitMEMLOCK=) or use fewer rings or entries.`
    case "EMFILE":
    case "ENFILE":
      return "out of file descriptors while creating the rings (each ring needs one, plus one eventfd)."
    case "EINVAL":
      return `the kernel rejected the ring parameters at ${stage} (entries too large, or a flag this kernel lacks).`
    default:
      return `${stage} failed with ${code}.`
  }
}

/** @internal */
export const setupError = (errno: number, stage: string): EngineSetupError => {
  const code = errnoName(errno)
  return new EngineSetupError(code, Math.abs(errno), setupReason(code, stage), stage)
}

/** @internal */
export class ArgError {
  static type(name: string, expected: string, actual: unknown): TypeError {
    const e = new TypeError(`The "${name}" argument must be ${expected}. Received ${describe(actual)}`)
    ;(e as TypeError & { code: string }).code = "ERR_INVALID_ARG_TYPE"
    return e
  }
  static range(name: string, expected: string, actual: unknown): RangeError {
    const e = new RangeError(`The value of "${name}" is out of range. It must be ${expected}. Received ${describe(actual)}`)
    ;(e as RangeError & { code: string }).code = "ERR_OUT_OF_RANGE"
    return e
  }
  static value(name: string, reason: string, actual: unknown): TypeError {
    const e = new TypeError(`The argument '${name}' ${reason}. Received ${describe(actual)}`)
    ;(e as TypeError & { code: string }).code = "ERR_INVALID_ARG_VALUE"
    return e
  }
}

const describe = (v: unknown): string => {
  if (v === null) return "null"
  if (v === undefined) return "undefined"
  if (typeof v === "function") return `function ${v.name || "<anonymous>"}`
  if (typeof v === "object") return `an instance of ${(v as object).constructor?.name ?? "Object"}`
  const s = typeof v === "string" ? `'${v.length > 28 ? `${v.slice(0, 25)}...` : v}'` : String(v)
  return `type ${typeof v} (${s})`
}
