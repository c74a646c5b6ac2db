// Preloaded with `node --require` under the sanitizer run: every addon the package would load from
// packages/native/build/ is loaded from the ASan+UBSan build instead, so the unmodified tests and the
// unmodified loader exercise the instrumented code. Each redirect is recorded, so the run can prove the
// sanitized binary was actually the one tested.
"use strict"
const path = require("node:path")
const fs = require("node:fs")

const nativeDir = path.resolve(__dirname, "..")
const plainBuild = path.join(nativeDir, "build") + path.sep
const sanitizedBuild = path.join(__dirname, ".build", "build") + path.sep
const marker = process.env.AURAIO_SANITIZE_MARKER

const dlopen = process.dlopen
process.dlopen = function (module, filename, ...rest) {
  let target = filename
  const resolved = path.resolve(String(filename))
  if (resolved.startsWith(plainBuild)) {
    const candidate = sanitizedBuild + resolved.slice(plainBuild.length)
    if (!fs.existsSync(candidate)) {
      throw new Error(`sanitize: ${candidate} is missing; run packages/native/sanitize/build.mjs first`)
    }
    target = candidate
    if (marker) fs.appendFileSync(marker, `${process.pid} ${candidate}\n`)
  }
  return dlopen.call(this, module, target, ...rest)
}
