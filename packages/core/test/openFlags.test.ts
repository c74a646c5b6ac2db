import { assert, describe, it } from "@effect/vitest"
import { AuraEngine } from "@auraio/core"
import { closeSync, constants, openSync, fstatSync, writeFileSync, readFileSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_SYNC } = constants

describe("open flags", () => {
  it("maps Node's flag strings to Node's numeric flags", () => {
    const table: Record<string, number> = {
      r: O_RDONLY,
      rs: O_RDONLY | O_SYNC,
      sr: O_RDONLY | O_SYNC,
      "r+": O_RDWR,
      "rs+": O_RDWR | O_SYNC,
      "sr+": O_RDWR | O_SYNC,
      w: O_TRUNC | O_CREAT | O_WRONLY,
      wx: O_TRUNC | O_CREAT | O_WRONLY | O_EXCL,
      xw: O_TRUNC | O_CREAT | O_WRONLY | O_EXCL,
      "w+": O_TRUNC | O_CREAT | O_RDWR,
      "wx+": O_TRUNC | O_CREAT | O_RDWR | O_EXCL,
      "xw+": O_TRUNC | O_CREAT | O_RDWR | O_EXCL,
      a: O_APPEND | O_CREAT | O_WRONLY,
      ax: O_APPEND | O_CREAT | O_WRONLY | O_EXCL,
      xa: O_APPEND | O_CREAT | O_WRONLY | O_EXCL,
      as: O_APPEND | O_CREAT | O_WRONLY | O_SYNC,
      sa: O_APPEND | O_CREAT | O_WRONLY | O_SYNC,
      "a+": O_APPEND | O_CREAT | O_RDWR,
      "ax+": O_APPEND | O_CREAT | O_RDWR | O_EXCL,
      "xa+": O_APPEND | O_CREAT | O_RDWR | O_EXCL,
      "as+": O_APPEND | O_CREAT | O_RDWR | O_SYNC,
      "sa+": O_APPEND | O_CREAT | O_RDWR | O_SYNC
    }
    for (const [flag, bits] of Object.entries(table)) {
      assert.strictEqual(AuraEngine.parseOpenFlag(flag), bits, flag)
    }
    assert.strictEqual(AuraEngine.parseOpenFlag(O_RDWR | O_CREAT), O_RDWR | O_CREAT)
    assert.strictEqual(AuraEngine.parseOpenFlag("rw"), undefined)
    assert.strictEqual(AuraEngine.parseOpenFlag(""), undefined)
    assert.strictEqual(AuraEngine.parseOpenFlag(-1), undefined)
    assert.strictEqual(AuraEngine.parseOpenFlag(1.5), undefined)
  })

  it("opens with the same semantics as fs.openSync given the string", () => {
    const dir = mkdtempSync(join(tmpdir(), "aura-flags-"))
    try {
      for (const flag of ["w", "a", "r+", "w+", "a+"]) {
        const a = join(dir, `a-${flag}`)
        const b = join(dir, `b-${flag}`)
        writeFileSync(a, "hello")
        writeFileSync(b, "hello")
        const fa = openSync(a, flag)
        const fb = openSync(b, AuraEngine.parseOpenFlag(flag)!)
        assert.strictEqual(fstatSync(fa).size, fstatSync(fb).size, flag)
        closeSync(fa)
        closeSync(fb)
        assert.strictEqual(readFileSync(a, "utf8"), readFileSync(b, "utf8"))
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
