import { afterAll, beforeAll } from "vitest"
import { cancellationSuite } from "./fixtures/cancellationSuite.js"

// The default op path: the direct async primitive, enabled after its self-test.
beforeAll(() => {
  delete process.env.AURAIO_PORTABLE_OPS
})
afterAll(() => {
  delete process.env.AURAIO_PORTABLE_OPS
})

cancellationSuite("direct")
