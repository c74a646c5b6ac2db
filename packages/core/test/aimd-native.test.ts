import { allocAligned, type Engine, openEngine } from "@auraio/native"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Aimd from "../src/Aimd.js"

const FILE_SIZE = 4 * 1024 * 1024

const withEngineAndFile = Effect.acquireRelease(
  Effect.sync(() => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aimd-native-"))
    const file = path.join(dir, "data")
    fs.writeFileSync(file, Buffer.alloc(FILE_SIZE, 7))
    const engine = openEngine({ rings: 1 })
    const fd = fs.openSync(file, "r")
    return { dir, engine, fd }
  }),
  ({ dir, engine, fd }) =>
    Effect.promise(async () => {
      await engine.close(5000)
      fs.closeSync(fd)
      fs.rmSync(dir, { recursive: true, force: true })
    })
)

/** Keeps `concurrency` 4 KiB reads in flight until `stop()`; resolves when they have drained. */
const closedLoop = (engine: Engine, fd: number, concurrency: number) => {
  let running = true
  let inflight = 0
  let completed = 0
  let drained: (() => void) | undefined
  for (let i = 0; i < concurrency; i++) {
    const buf = allocAligned(4096)
    const go = (): void => {
      inflight++
      engine.raw.read(fd, buf, 4096, Math.floor(Math.random() * (FILE_SIZE / 4096)) * 4096, () => {
        inflight--
        completed++
        if (running) go()
        else if (inflight === 0) drained?.()
      })
    }
    go()
  }
  return {
    completed: () => completed,
    stop: () =>
      Effect.promise(() => {
        running = false
        return inflight === 0 ? Promise.resolve() : new Promise<void>((resolve) => (drained = resolve))
      })
  }
}

describe("Aimd with the native engine", () => {
  it.live("the native sampler counts every completion and its latency once", () =>
    Effect.scoped(Effect.gen(function*() {
      const { engine, fd } = yield* withEngineAndFile
      const sampler = Aimd.nativeSampler(engine)
      const load = closedLoop(engine, fd, 8)
      yield* Effect.sleep("100 millis")
      yield* load.stop()
      const s = yield* sampler.sample(0)
      assert.strictEqual(s.completions, load.completed())
      assert.isTrue(s.completions > 0)
      assert.strictEqual(Array.from(s.latency).reduce((a, b) => a + b, 0), s.completions)
      const again = yield* sampler.sample(0)
      assert.strictEqual(again.completions, 0, "deltas: nothing new since the last sample")
    })))

  it.live("the controller writes its limit to the ring and reads it back", () =>
    Effect.scoped(Effect.gen(function*() {
      const { engine, fd } = yield* withEngineAndFile
      assert.strictEqual(engine.getLimit(0), 0, "a fresh ring is unlimited")
      const controllerScope = yield* Scope.make()
      const controller = yield* Aimd.run(engine, { maxInFlight: 128 }).pipe(Scope.extend(controllerScope))
      const load = closedLoop(engine, fd, 200)
      yield* Effect.sleep("600 millis")
      // Stop the controller before comparing: while the load drains it would keep moving the limit.
      yield* Scope.close(controllerScope, Exit.void)
      const [ring] = yield* controller.status
      yield* load.stop()
      assert.isTrue(ring!.limit >= 1 && ring!.limit <= 128, `limit ${ring!.limit}`)
      assert.strictEqual(engine.getLimit(0), ring!.limit, "the ring enforces what the controller chose")
      assert.notStrictEqual(ring!.phase, "off")
      assert.isTrue(ring!.throughput > 0, "the controller saw completions")
    })))
})
