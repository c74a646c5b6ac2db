#!/usr/bin/env node
/**
 * The `auraio` command (`auraio check …`). Ctrl-C interrupts the check's fiber, whose finalizers
 * remove the scratch files and close the engine before the process exits with status 130.
 *
 * @internal
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Cause from "effect/Cause"
import * as Exit from "effect/Exit"
import { runCli } from "../check/cli.js"

NodeRuntime.runMain(runCli(process.argv, undefined, { fromProcessStart: true }), {
  disableErrorReporting: true,
  teardown: (exit, onExit) => {
    if (Exit.isSuccess(exit)) return onExit(typeof exit.value === "number" ? exit.value : 0)
    if (Cause.isInterruptedOnly(exit.cause)) {
      process.stderr.write("\nauraio: interrupted; scratch files removed.\n")
      return onExit(130)
    }
    process.stderr.write(`auraio: ${Cause.pretty(exit.cause)}\n`)
    onExit(1)
  }
})
