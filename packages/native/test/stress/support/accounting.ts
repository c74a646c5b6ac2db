// Process-level resource accounting for reliability tests: open descriptors and resident memory.
// Counting /proc/self/fd is the only leak check that sees descriptors opened natively (openat SQEs)
// as well as through Node, so every stress test compares a snapshot taken before and after.
import { readdirSync, readlinkSync } from "node:fs"
import * as v8 from "node:v8"
import * as vm from "node:vm"

/** A snapshot of the process's open descriptors: fd number → what it points at. */
export type FdSnapshot = ReadonlyMap<number, string>

export const fdSnapshot = (): FdSnapshot => {
  const out = new Map<number, string>()
  for (const name of readdirSync("/proc/self/fd")) {
    const fd = Number(name)
    try {
      out.set(fd, readlinkSync(`/proc/self/fd/${name}`))
    } catch {
      // The descriptor readdir itself used is gone by the time we readlink it.
    }
  }
  return out
}

/**
 * Descriptors open now that were not open in `before`, ignoring kinds that the runtime opens on its
 * own schedule (epoll/eventfd/pipes of libuv and vitest's IPC, anon inodes of io_uring rings that a
 * test deliberately keeps). Regular files and directories are what a leak of ours would look like.
 */
export const fdLeaks = (before: FdSnapshot, after: FdSnapshot = fdSnapshot()): Array<string> => {
  const leaks: Array<string> = []
  for (const [fd, target] of after) {
    if (before.get(fd) === target) continue
    // /dev/null is what Node and tsx's esbuild service open for child and worker stdio.
    if (target.startsWith("/") && target !== "/dev/null") leaks.push(`${fd} -> ${target}`)
  }
  return leaks
}

/** Descriptors pointing into `dir`: the strictest check, used when a test owns a private directory. */
export const fdsUnder = (dir: string, snap: FdSnapshot = fdSnapshot()): Array<string> =>
  [...snap].filter(([, t]) => t.startsWith(dir)).map(([fd, t]) => `${fd} -> ${t}`)

export const rssBytes = (): number => process.memoryUsage().rss

export const mib = (bytes: number): string => `${(bytes / (1024 * 1024)).toFixed(1)} MiB`

// A full GC without --expose-gc on the command line: the flag can be set at run time, and a fresh
// context then has `gc` on its global.
v8.setFlagsFromString("--expose-gc")
const fullGc = vm.runInNewContext("gc") as () => void

/** Forces a full GC, so finalizer-freed memory (aligned buffers) is really gone before RSS is read. */
export const gc = (): void => fullGc()

/** io_uring instances this process holds: each ring is an anon inode in /proc/self/fd. */
export const ringFds = (snap: FdSnapshot = fdSnapshot()): number =>
  [...snap.values()].filter((t) => t === "anon_inode:[io_uring]").length

/**
 * One line per reliability figure, in a format docs/reliability.md quotes and scripts can grep:
 * `[reliability] <name> key=value …`.
 */
export const report = (name: string, figures: Record<string, string | number | bigint | boolean>): void => {
  const kv = Object.entries(figures)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(" ")
  process.stdout.write(`[reliability] ${name} ${kv}\n`)
}
