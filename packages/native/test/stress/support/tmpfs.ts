// A tiny filesystem for ENOSPC tests. A tmpfs of a few MiB fills in milliseconds and needs no disk;
// mounting needs CAP_SYS_ADMIN, so without it the caller gets the reason to print with its skip.
import { spawnSync } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

export type TinyFs =
  | { readonly _tag: "Mounted"; readonly dir: string; readonly unmount: () => void }
  | { readonly _tag: "Unavailable"; readonly reason: string }

export const mountTinyTmpfs = (sizeBytes: number): TinyFs => {
  const dir = mkdtempSync(join(tmpdir(), "auraio-enospc-"))
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0
  if (!isRoot) {
    rmSync(dir, { recursive: true, force: true })
    return { _tag: "Unavailable", reason: "mounting a tmpfs needs root (CAP_SYS_ADMIN); this process is not root" }
  }
  const r = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${sizeBytes}`, "tmpfs", dir], { encoding: "utf8" })
  if (r.error || r.status !== 0) {
    rmSync(dir, { recursive: true, force: true })
    const why = r.error?.message ?? (r.stderr.trim() || `exit ${r.status}`)
    return { _tag: "Unavailable", reason: `mount -t tmpfs was refused: ${why}` }
  }
  return {
    _tag: "Mounted",
    dir,
    unmount: () => {
      // Lazy unmount: a descriptor a failing test left open must not wedge the cleanup.
      spawnSync("umount", ["-l", dir])
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
