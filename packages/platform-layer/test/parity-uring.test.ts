// The parity suite against AuraFileSystem.layer on the real kernel ring.
import { AuraFileSystem } from "@auraio/platform-layer"
import { describe, it } from "@effect/vitest"
import { paritySuite } from "./parity/suite.js"
import { probeBackend } from "./support/backend.js"

const backend = await probeBackend

if (backend._tag === "Fallback") {
  console.log(`skipping the io_uring parity run: ${backend.reason}`)
  describe.skip(`AuraFileSystem.layer (io_uring): ${backend.reason}`, () => {
    it("io_uring unavailable", () => {})
  })
} else {
  paritySuite("AuraFileSystem.layer (io_uring)", AuraFileSystem.layer)
}
