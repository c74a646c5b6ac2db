/**
 * The page-cache random-read workload shared by `bench/randread.ts` and the profiling aids in
 * `scratchpad/`: a 1 GiB file of non-zero data, warmed before each case, and one fixed
 * pseudo-random block sequence (no RNG in a measured loop, the same blocks for every peer).
 */
import { execFileSync } from "node:child_process"
import { closeSync, existsSync, openSync, readSync, statSync, writeSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

export const SIZE = 1 << 30
export const BS = 4096
export const BLOCKS = SIZE / BS
export const DEFAULT_FILE = join(tmpdir(), "auraio-bench-1g.bin")

/** Writes the file unless it is already there at full size. */
export const prepare = (file: string): void => {
  if (existsSync(file) && statSync(file).size === SIZE) return
  process.stdout.write(`writing ${file} ...\n`)
  const fd = openSync(file, "w")
  const chunk = Buffer.alloc(1 << 24)
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 31) & 0xff
  for (let off = 0; off < SIZE; off += chunk.length) writeSync(fd, chunk, 0, chunk.length, off)
  closeSync(fd)
}

/** Reads the whole file once so every page is cached (this VM reclaims cold pages after ~60 s). */
export const warm = (file: string): void => {
  const fd = openSync(file, "r")
  const buf = Buffer.allocUnsafe(1 << 24)
  for (let off = 0; off < SIZE; off += buf.length) readSync(fd, buf, 0, buf.length, off)
  closeSync(fd)
}

const OFFSETS = new Float64Array(1 << 20)
{
  let x = 0x9e3779b9
  for (let i = 0; i < OFFSETS.length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    OFFSETS[i] = ((x >>> 0) % BLOCKS) * BS
  }
}
let cursor = 0

/** The next block-aligned offset of the shared sequence. */
export const nextOffset = (): number => OFFSETS[(cursor = (cursor + 1) & (OFFSETS.length - 1))]!

/** What fio reports for one run of the hand-tuned peer; CPU figures are ns per read. */
export interface FioRun {
  readonly iops: number
  readonly userNs: number
  readonly sysNs: number
  readonly minorFaultsPerKiloRead: number
}

/**
 * The hand-tuned peer every page-cache read benchmark measures against: fio io_uring, qd32, batch
 * submit/complete 32, on the same file and for the same time. `--invalidate=0` keeps the warm pages.
 */
export const fio = (file: string, seconds: number): FioRun => {
  const out = execFileSync("fio", [
    "--name=randread",
    `--filename=${file}`,
    "--rw=randread",
    "--bs=4k",
    "--ioengine=io_uring",
    "--iodepth=32",
    "--iodepth_batch_submit=32",
    "--iodepth_batch_complete_max=32",
    "--invalidate=0",
    `--runtime=${seconds}`,
    "--time_based",
    "--norandommap",
    "--randrepeat=0",
    "--output-format=json"
  ], { encoding: "utf8" })
  const job = JSON.parse(out).jobs[0]
  const perRead = (pct: number) => ((pct / 100) * job.read.runtime * 1e6) / job.read.total_ios
  return {
    iops: job.read.iops as number,
    userNs: perRead(job.usr_cpu),
    sysNs: perRead(job.sys_cpu),
    minorFaultsPerKiloRead: (job.minf * 1000) / job.read.total_ios
  }
}
