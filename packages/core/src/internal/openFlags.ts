import { constants } from "node:fs"

const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_SYNC } = constants

/**
 * libuv adds O_CLOEXEC to every open; an io_uring `openat` must do the same by hand or the fd would
 * leak into child processes. Node does not export the constant, and it is 0o2000000 on every Linux ABI
 * Node supports.
 * @internal
 */
export const O_CLOEXEC = 0o2000000

/**
 * Node's `stringToFlags` (lib/internal/fs/utils.js), case for case, so `"r+"` means the same bits
 * here as in `fs.open`.
 * @internal
 */
export const parseOpenFlag = (flag: string | number): number | undefined => {
  if (typeof flag === "number") return Number.isInteger(flag) && flag >= 0 ? flag : undefined
  switch (flag) {
    case "r":
      return O_RDONLY
    case "rs":
    case "sr":
      return O_RDONLY | O_SYNC
    case "r+":
      return O_RDWR
    case "rs+":
    case "sr+":
      return O_RDWR | O_SYNC
    case "w":
      return O_TRUNC | O_CREAT | O_WRONLY
    case "wx":
    case "xw":
      return O_TRUNC | O_CREAT | O_WRONLY | O_EXCL
    case "w+":
      return O_TRUNC | O_CREAT | O_RDWR
    case "wx+":
    case "xw+":
      return O_TRUNC | O_CREAT | O_RDWR | O_EXCL
    case "a":
      return O_APPEND | O_CREAT | O_WRONLY
    case "ax":
    case "xa":
      return O_APPEND | O_CREAT | O_WRONLY | O_EXCL
    case "as":
    case "sa":
      return O_APPEND | O_CREAT | O_WRONLY | O_SYNC
    case "a+":
      return O_APPEND | O_CREAT | O_RDWR
    case "ax+":
    case "xa+":
      return O_APPEND | O_CREAT | O_RDWR | O_EXCL
    case "as+":
    case "sa+":
      return O_APPEND | O_CREAT | O_RDWR | O_SYNC
    default:
      return undefined
  }
}
