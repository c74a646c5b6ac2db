import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import * as TestContext from "effect/TestContext"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Clock from "effect/Clock"
import * as Aimd from "../src/Aimd.js"
import { makeDevice } from "./aimdModel.js"

const prog = Effect.gen(function*() {
  const device = makeDevice({ offered: 256 })
  yield* Aimd.run(device.sampler, {})
  yield* TestClock.adjust("3000 millis")
  device.params.knee = 16
  yield* TestClock.adjust("2000 millis")
  device.params.knee = 48
  yield* TestClock.adjust("2500 millis")
  const tr = device.trace.filter((p, i) => i % 5 === 0 && p.t > 2500)
  console.log(tr.map((p) => `${p.t}:${p.limit}:${Math.round(p.p99Us)}`).join(" "))
}).pipe(Effect.scoped)
const logger = Logger.make(({ message, annotations }) => {})
Effect.runPromise(prog.pipe(
  Effect.provide(TestContext.TestContext),
  Logger.withMinimumLogLevel(LogLevel.Debug),
  Effect.provide(Logger.replace(Logger.defaultLogger, Logger.make(({ message, date }) => console.log(String(message)))))
))
