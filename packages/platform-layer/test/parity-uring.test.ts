// The parity suite against AuraFileSystem.layer on the real kernel ring.
import { AuraFileSystem } from "@auraio/platform-layer"
import { assert, describe, it } from "@effect/vitest"
import { paritySuite } from "./parity/suite.js"
import { kernelLacksIoUring, probeBackend } from "./support/backend.js"

const backend = await probeBackend

if (backend._tag === "IoUring") {
  paritySuite("AuraFileSystem.layer (io_uring)", AuraFileSystem.layer)
} else if (kernelLacksIoUring(backend.reason)) {
  console.log(`skipping the io_uring parity run: ${backend.reason}`)
  describe.skip(`AuraFileSystem.layer (io_uring): ${backend.reason}`, () => {
    it("io_uring unavailable", () => {})
  })
} else {
  // io_uring should work here: a fallback is a failure to explain, not a skip.
  it("AuraFileSystem.layer starts on io_uring", () => {
    assert.fail(`fell back although the kernel has io_uring: ${backend.reason}`)
  })
}
