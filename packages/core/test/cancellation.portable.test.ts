import { afterAll, beforeAll } from "vitest"
import { cancellationSuite } from "./fixtures/cancellationSuite.js"

// The portable op path (public combinators only), forced for this file; vitest forks per file.
beforeAll(() => {
  process.env.AURAIO_PORTABLE_OPS = "1"
})
afterAll(() => {
  delete process.env.AURAIO_PORTABLE_OPS
})

cancellationSuite("portable")
