// The parity suite: one body, run against NodeFileSystem.layer (the reference), AuraFileSystem on
// io_uring and AuraFileSystem forced into fallback. Every expectation here is what NodeFileSystem
// does; a layer that passes behaves the same.
import * as FileSystem from "@effect/platform/FileSystem"
import { assert, layer } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import type * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Sink from "effect/Sink"
import * as Stream from "effect/Stream"
import * as NFS from "node:fs"
import * as Path from "node:path"
import {
  decode,
  encode,
  expectBadArgument,
  expectSystemError,
  mkfifo,
  randomBytes,
  readText,
  sameBytes,
  tmpDir,
  writeText
} from "./fixtures.js"

const LOREM = "lorem ipsum dolar sit amet"

// NodeFileSystem's seek returns the new position although the interface types it as void.
const seek = (file: FileSystem.File, offset: FileSystem.SizeInput, from: FileSystem.SeekMode) =>
  file.seek(offset, from) as unknown as Effect.Effect<bigint>

const readString = (file: FileSystem.File, n: number) =>
  Effect.map(Effect.flatten(file.readAlloc(n)), decode)

export const paritySuite = <E>(name: string, fsLayer: Layer.Layer<FileSystem.FileSystem, E>) =>
  layer(fsLayer, { excludeTestServices: true, timeout: Duration.seconds(30) })(name, (it) => {
    // == access / exists

    it.scoped("access: existing ok, missing NotFound, under a file BadResource", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = yield* tmpDir
        writeText(Path.join(dir, "a"), "x")
        yield* fs.access(Path.join(dir, "a"))
        yield* fs.access(Path.join(dir, "a"), { readable: true, writable: true })
        yield* fs.access(dir, { ok: true })
        yield* expectSystemError(fs.access(Path.join(dir, "missing")), "NotFound", "access")
        yield* expectSystemError(fs.access(Path.join(dir, "a", "b")), "BadResource", "access")
      }))

    it.scoped("exists: true, false, and a typed error for a non-directory parent", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = yield* tmpDir
        writeText(Path.join(dir, "a"), "x")
        assert.isTrue(yield* fs.exists(Path.join(dir, "a")))
        assert.isTrue(yield* fs.exists(dir))
        assert.isFalse(yield* fs.exists(Path.join(dir, "missing")))
        yield* expectSystemError(fs.exists(Path.join(dir, "a", "b")), "BadResource")
      }))

    // == copyFile

    it.scoped("copyFile: copies content and mode, overwrites, copies onto itself unchanged", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = yield* tmpDir
        const src = Path.join(dir, "src")
        const data = randomBytes(3 * 1024 * 1024 + 17)
        NFS.writeFileSync(src, data, { mode: 0o640 })
        NFS.chmodSync(src, 0o640)
        yield* fs.copyFile(src, Path.join(dir, "dst"))
        sameBytes(NFS.readFileSync(Path.join(dir, "dst")), data)
        assert.strictEqual(NFS.statSync(Path.join(dir, "dst")).mode & 0o777, 0o640)

        writeText(Path.join(dir, "old"), "a much longer previous content than the new one")
        writeText(Path.join(dir, "small"), "tiny")
        yield* fs.copyFile(Path.join(dir, "small"), Path.join(dir, "old"))
        assert.strictEqual(readText(Path.join(dir, "old")), "tiny")

        yield* fs.copyFile(Path.join(dir, "small"), Path.join(dir, "small"))
        assert.strictEqual(readText(Path.join(dir, "small")), "tiny")

        NFS.writeFileSync(Path.join(dir, "empty"), "")
        yield* fs.copyFile(Path.join(dir, "empty"), Path.join(dir, "empty2"))
        assert.strictEqual(NFS.statSync(Path.join(dir, "empty2")).size, 0)
      }))

    it.scoped("copyFile: errors", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = yield* tmpDir
        writeText(Path.join(dir, "a"), "x")
        NFS.mkdirSync(Path.join(dir, "d"))
        yield* expectSystemError(fs.copyFile(Path.join(dir, "missing"), Path.join(dir, "b")), "NotFound", "copyFile")
        yield* expectSystemError(fs.copyFile(Path.join(dir, "d"), Path.join(dir, "b")), "BadResource", "copyFile")
        yield* expectSystemError(fs.copyFile(Path.join(dir, "a"), Path.join(dir, "d")), "BadResource", "copyFile")
        yield* expectSystemError(
          fs.copyFile(Path.join(dir, "a"), Path.join(dir, "nodir", "b")),
          "NotFound",
          "copyFile"
        )
      }))

    // == copy

    it.scoped("copy: a file; overwrite:false keeps an existing file; overwrite:true replaces it", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = yield* tmpDir
        const data = randomBytes(200_000)
        NFS.writeFileSync(Path.join(dir, "a"), data)
        yield* fs.copy(Path.join(dir, "a"), Path.join(dir, "b"))
        sameBytes(NFS.readFileSync(Path.join(dir, "b")), data)

        writeText(Path.join(dir, "c"), "keep me")
        yield* fs.copy(Path.join(dir, "a"), Path.join(dir, "c"))
        assert.strictEqual(readText(Path.join(dir, "c")), "keep me")
        yield* fs.copy(Path.join(dir, "a"), Path.join(dir, "c"), { overwrite: false })
        assert.strictEqual(readText(Path.join(dir, "c")), "keep me")
        NFS.linkSync(Path.join(dir, "c"), Path.join(dir, "c-link"))
        yield* fs.copy(Path.join(dir, "a"), Path.join(dir, "c"), { overwrite: true })
        sameBytes(NFS.readFileSync(Path.join(dir, "c")), data)
        // fs.cp replaces the destination (unlink + copy): another link to the old file keeps it.
        assert.strictEqual(readText(Path.join(dir, "c-link")), "keep me")

        yield* fs.copy(Path.join(dir, "a"), Path.join(dir, "new", "deep", "d"))
        sameBytes(NFS.readFileSync(Path.join(dir, "new", "deep", "d")), data)
      }))

    it.scoped("copy: a directory tree, merging into an existing one without overwriting", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = yield* tmpDir
        const src = Path.join(dir, "src")
        NFS.mkdirSync(Path.join(src, "sub", "deeper"), { recursive: true })
        writeText(Path.join(src, "one"), "1")
        writeText(Path.join(src, "sub", "two"), "2")
        NFS.writeFileSync(Path.join(src, "sub", "deeper", "big"), randomBytes(300_000))
        NFS.symlinkSync("one", Path.join(src, "link"))
        yield* fs.copy(src, Path.join(dir, "dst"))
        assert.strictEqual(readText(Path.join(dir, "dst", "one")), "1")
        assert.strictEqual(readText(Path.join(dir, "dst", "sub", "two")), "2")
        sameBytes(
          NFS.readFileSync(Path.join(dir, "dst", "sub", "deeper", "big")),
          NFS.readFileSync(Path.join(src, "sub", "deeper", "big"))
        )
        assert.isTrue(NFS.lstatSync(Path.join(dir, "dst", "link")).isSymbolicLink())

        const merge = Path.join(dir, "merge")
        NFS.mkdirSync(merge)
        writeText(Path.join(merge, "one"), "mine")
        yield* fs.copy(src, merge, { overwrite: false })
        assert.strictEqual(readText(Path.join(merge, "one")), "mine")
        assert.strictEqual(readText(Path.join(merge, "sub", "two")), "2")
      }))

    it.scoped("copy: preserveTimestamps, and errors", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = yield* tmpDir
        writeText(Path.join(dir, "a"), "x")
        NFS.utimesSync(Path.join(dir, "a"), new Date(1_000_000_000), new Date(1_500_000_000))
        yield* fs.copy(Path.join(dir, "a"), Path.join(dir, "b"), { preserveTimestamps: true })
        assert.strictEqual(NFS.statSync(Path.join(dir, "b")).mtimeMs, 1_500_000_000)

        NFS.mkdirSync(Path.join(dir, "d"))
        yield* expectSystemError(fs.copy(Path.join(dir, "missing"), Path.join(dir, "z")), "NotFound", "copy")
        // Node's cp refuses these with its own codes (ERR_FS_CP_*), which map to Unknown.
        yield* expectSystemError(fs.copy(Path.join(dir, "a"), Path.join(dir, "d")), "Unknown", "copy")
        yield* expectSystemError(fs.copy(Path.join(dir, "d"), Path.join(dir, "a")), "Unknown", "copy")
        yield* expectSystemError(fs.copy(Path.join(dir, "a"), Path.join(dir, "a")), "Unknown", "copy")
      }))

    // == chmod / chown / utimes

    it.scoped("chmod, chown, utimes", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = yield* tmpDir
        const a = Path.join(dir, "a")
        writeText(a, "x")
        yield* fs.chmod(a, 0o600)
        assert.strictEqual(NFS.statSync(a).mode & 0o777, 0o600)
        yield* fs.chown(a, process.getuid!(), process.getgid!())
        yield* fs.utimes(a, new Date(2_000_000_000), 3_000)
        assert.strictEqual(NFS.statSync(a).mtimeMs, 3_000_000)
        assert.strictEqual(NFS.statSync(a).atimeMs, 2_000_000_000)
        const missing = Path.join(dir, "missing")
        yield* expectSystemError(fs.chmod(missing, 0o600), "NotFound", "chmod")
        yield* expectSystemError(fs.chown(missing, 0, 0), "NotFound", "chown")
        yield* expectSystemError(fs.utimes(missing, 0, 0), "NotFound")
      }))

    // == link / symlink / readLink / realPath

    it.scoped("link: a hard link shares the inode; errors", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = yield* tmpDir
        const a = Path.join(dir, "a")
        writeText(a, "x")
        yield* fs.link(a, Path.join(dir, "b"))
        assert.strictEqual(NFS.statSync(Path.join(dir, "b")).ino, NFS.statSync(a).ino)
        assert.strictEqual(NFS.statSync(a).nlink, 2)
        yield* expectSystemError(fs.link(a, Path.join(dir, "b")), "AlreadyExists", "link")
        yield* expectSystemError(fs.link(Path.join(dir, "missing"), Path.join(dir, "c")), "NotFound", "link")
        NFS.mkdirSync(Path.join(dir, "d"))
        yield* expectSystemError(fs.link(Path.join(dir, "d"), Path.join(dir, "e")), "Unknown", "link")
      }))

    it.scoped("symlink, readLink, realPath", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = NFS.realpathSync(yield* tmpDir)
        writeText(Path.join(dir, "a"), "x")
        yield* fs.symlink("a", Path.join(dir, "l"))
        assert.strictEqual(yield* fs.readLink(Path.join(dir, "l")), "a")
        assert.strictEqual(yield* fs.realPath(Path.join(dir, "l")), Path.join(dir, "a"))
        yield* fs.symlink("dangling", Path.join(dir, "dl"))
        assert.strictEqual(NFS.readlinkSync(Path.join(dir, "dl")), "dangling")
        yield* expectSystemError(fs.symlink("a", Path.join(dir, "a")), "AlreadyExists", "symlink")
        yield* expectSystemError(fs.symlink("a", Path.join(dir, "nodir", "x")), "NotFound", "symlink")
        yield* expectSystemError(fs.readLink(Path.join(dir, "a")), "Unknown", "readLink")
        yield* expectSystemError(fs.readLink(Path.join(dir, "missing")), "NotFound", "readLink")
        yield* expectSystemError(fs.realPath(Path.join(dir, "dl")), "NotFound", "realPath")
      }))

    // == makeDirectory

    it.scoped("makeDirectory: mode, recursive, errors", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = yield* tmpDir
        yield* fs.makeDirectory(Path.join(dir, "a"))
        assert.isTrue(NFS.statSync(Path.join(dir, "a")).isDirectory())
        yield* fs.makeDirectory(Path.join(dir, "m"), { mode: 0o700 })
        assert.strictEqual(NFS.statSync(Path.join(dir, "m")).mode & 0o777, 0o700)
        yield* fs.makeDirectory(Path.join(dir, "x", "y", "z"), { recursive: true })
        assert.isTrue(NFS.statSync(Path.join(dir, "x", "y", "z")).isDirectory())
        yield* fs.makeDirectory(Path.join(dir, "x", "y"), { recursive: true })
        yield* expectSystemError(fs.makeDirectory(Path.join(dir, "a")), "AlreadyExists", "makeDirectory")
        yield* expectSystemError(fs.makeDirectory(Path.join(dir, "p", "q")), "NotFound", "makeDirectory")
        writeText(Path.join(dir, "f"), "x")
        yield* expectSystemError(
          fs.makeDirectory(Path.join(dir, "f", "q"), { recursive: true }),
          "BadResource",
          "makeDirectory"
        )
      }))

    // == makeTemp*

    it.scoped("makeTempDirectory: outlives the scope; prefix and directory are honoured", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const base = yield* tmpDir
        const made = yield* Effect.scoped(fs.makeTempDirectory({ directory: base, prefix: "pre-" }))
        assert.isTrue(NFS.statSync(made).isDirectory())
        assert.strictEqual(Path.dirname(made), base)
        assert.isTrue(Path.basename(made).startsWith("pre-"))
        const plain = yield* fs.makeTempDirectory()
        assert.isTrue(NFS.statSync(plain).isDirectory())
        NFS.rmSync(plain, { recursive: true })
      }))

    it.scoped("makeTempDirectoryScoped: removed with its content when the scope closes", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const base = yield* tmpDir
        const made = yield* Effect.scoped(Effect.gen(function*() {
          const d = yield* fs.makeTempDirectoryScoped({ directory: base })
          NFS.mkdirSync(Path.join(d, "sub"))
          writeText(Path.join(d, "sub", "f"), "x")
          assert.strictEqual((yield* fs.stat(d)).type, "Directory")
          return d
        }))
        yield* expectSystemError(fs.stat(made), "NotFound", "stat")
        assert.deepStrictEqual(NFS.readdirSync(base), [])
      }))

    it.scoped("makeTempFile: an empty file in its own directory, suffix honoured", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const base = yield* tmpDir
        const file = yield* Effect.scoped(fs.makeTempFile({ directory: base, prefix: "p", suffix: ".txt" }))
        assert.isTrue(file.endsWith(".txt"))
        assert.strictEqual(Path.dirname(Path.dirname(file)), base)
        assert.isTrue(Path.basename(Path.dirname(file)).startsWith("p"))
        const st = NFS.statSync(file)
        assert.isTrue(st.isFile())
        assert.strictEqual(st.size, 0)
      }))

    it.scoped("makeTempFileScoped: file and its directory removed when the scope closes", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const base = yield* tmpDir
        const file = yield* Effect.scoped(Effect.gen(function*() {
          const f = yield* fs.makeTempFileScoped({ directory: base })
          yield* fs.writeFileString(f, "x")
          return f
        }))
        assert.isFalse(NFS.existsSync(file))
        assert.deepStrictEqual(NFS.readdirSync(base), [])
      }))

    // == open / File

    it.scoped("File: tracks the cursor when reading; seek returns the position", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = yield* tmpDir
        const p = Path.join(dir, "text.txt")
        writeText(p, LOREM)
        const file = yield* fs.open(p)
        assert.strictEqual(yield* readString(file, 5), "lorem")
        assert.strictEqual(yield* seek(file, 7, "current"), 12n)
        assert.strictEqual(yield* readString(file, 5), "dolar")
        yield* file.seek(FileSystem.Size(1), "current")
        assert.strictEqual(yield* readString(file, 8), "sit amet")
        assert.strictEqual(yield* seek(file, 0, "start"), 0n)
        assert.strictEqual(yield* readString(file, 11), "lorem ipsum")
        assert.strictEqual(yield* seek(file, -5, "current"), 6n)
        assert.strictEqual(yield* readString(file, 5), "ipsum")
      }))

    it.scoped("File: read returns Size, short reads at the end, 0 / None at EOF and beyond", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = yield* tmpDir
        const p = Path.join(dir, "t")
        writeText(p, "0123456789")
        const file = yield* fs.open(p)
        const buf = new Uint8Array(4)
        assert.strictEqual(yield* file.read(buf), FileSystem.Size(4))
        assert.strictEqual(decode(buf), "0123")
        yield* file.seek(8, "start")
        assert.strictEqual(yield* file.read(buf), FileSystem.Size(2))
        assert.strictEqual(decode(buf.subarray(0, 2)), "89")
        assert.strictEqual(yield* file.read(buf), FileSystem.Size(0))
        assert.isTrue(Option.isNone(yield* file.readAlloc(4)))
        yield* file.seek(100, "start")
        assert.strictEqual(yield* file.read(buf), FileSystem.Size(0))
        assert.strictEqual(yield* seek(file, 0, "current"), 100n)
        yield* file.seek(6, "start")
        const tail = yield* file.readAlloc(FileSystem.Size(100))
        assert.strictEqual(decode(Option.getOrThrow(tail)), "6789")
        assert.strictEqual(Option.getOrThrow(tail).length, 4)
      }))

    it.scoped("File: tracks the cursor when writing", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const path = yield* fs.makeTempFileScoped()
        const file = yield* fs.open(path, { flag: "w+" })
        assert.strictEqual(yield* file.write(encode("lorem ipsum")), FileSystem.Size(11))
        yield* file.write(encode(" "))
        yield* file.write(encode("dolor sit amet"))
        assert.strictEqual(yield* fs.readFileString(path), "lorem ipsum dolor sit amet")
        yield* file.seek(FileSystem.Size(-4), "current")
        yield* file.write(encode("hello world"))
        assert.strictEqual(yield* fs.readFileString(path), "lorem ipsum dolor sit hello world")
        yield* file.seek(FileSystem.Size(6), "start")
        yield* file.write(encode("blabl"))
        assert.strictEqual(yield* fs.readFileString(path), "lorem blabl dolor sit hello world")
        assert.strictEqual(yield* seek(file, 0, "current"), 11n)
        yield* file.seek(0, "start")
        assert.strictEqual(yield* readString(file, 5), "lorem")
      }))

    it.scoped("File: append mode writes at the end without moving the read cursor", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const path = yield* fs.makeTempFileScoped()
        const file = yield* fs.open(path, { flag: "a+" })
        yield* file.write(encode("foo"))
        assert.strictEqual(yield* seek(file, 0, "current"), 0n)
        yield* file.seek(FileSystem.Size(0), "start")
        yield* file.write(encode("bar"))
        assert.strictEqual(yield* fs.readFileString(path), "foobar")
        assert.strictEqual(yield* readString(file, 3), "foo")
        yield* file.writeAll(encode("baz"))
        assert.strictEqual(yield* fs.readFileString(path), "foobarbaz")
        assert.strictEqual(yield* readString(file, 6), "barbaz")
        yield* file.truncate(2)
        assert.strictEqual(yield* seek(file, 0, "current"), 9n)
      }))

    it.scoped("File: truncate keeps a cursor it does not affect and pulls back one it does", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const path = yield* fs.makeTempFileScoped()
        const file = yield* fs.open(path, { flag: "w+" })
        yield* file.write(encode("lorem ipsum dolor sit amet"))
        yield* file.seek(FileSystem.Size(6), "start")
        yield* file.truncate(FileSystem.Size(11))
        assert.strictEqual(yield* seek(file, 0, "current"), 6n)
        yield* file.seek(20, "start")
        yield* file.truncate(FileSystem.Size(11))
        assert.strictEqual(yield* seek(file, 0, "current"), 11n)
        assert.strictEqual(readText(path), "lorem ipsum")
        yield* file.truncate()
        assert.strictEqual(yield* seek(file, 0, "current"), 0n)
        assert.strictEqual(NFS.statSync(path).size, 0)
        yield* file.truncate(100)
        assert.strictEqual(NFS.statSync(path).size, 100)
      }))

    it.scoped("File: writeAll of a large buffer, stat, sync, fd, and close when the scope ends", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = yield* tmpDir
        const p = Path.join(dir, "big")
        const data = randomBytes(5 * 1024 * 1024 + 3)
        const fd = yield* Effect.scoped(Effect.gen(function*() {
          const file = yield* fs.open(p, { flag: "w" })
          yield* file.writeAll(data.subarray(0, 1000))
          yield* file.writeAll(data.subarray(1000))
          assert.strictEqual(yield* seek(file, 0, "current"), BigInt(data.length))
          yield* file.sync
          const info = yield* file.stat
          assert.strictEqual(info.type, "File")
          assert.strictEqual(info.size, FileSystem.Size(data.length))
          assert.isTrue(typeof file.fd === "number" && file.fd > 2)
          assert.isTrue(FileSystem.isFile(file))
          return file.fd
        }))
        sameBytes(NFS.readFileSync(p), data)
        assert.throws(() => NFS.fstatSync(fd), /EBADF/)
      }))

    it.scoped("File: concurrent readAlloc calls on one File never overlap", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = yield* tmpDir
        const p = Path.join(dir, "t")
        const text = "abcdefghijklmnopqrstuvwxyz0123456789".repeat(4)
        writeText(p, text)
        const file = yield* fs.open(p)
        const parts = yield* Effect.all(
          Array.from({ length: text.length / 4 }, () => readString(file, 4)),
          { concurrency: "unbounded" }
        )
        assert.deepStrictEqual([...parts].sort(), Array.from({ length: text.length / 4 }, (_, i) => text.slice(i * 4, i * 4 + 4)).sort())
        assert.strictEqual(yield* seek(file, 0, "current"), BigInt(text.length))
      }))

    it.scoped("open: errors", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = yield* tmpDir
        writeText(Path.join(dir, "a"), "x")
        yield* expectSystemError(fs.open(Path.join(dir, "missing")), "NotFound", "open")
        yield* expectSystemError(fs.open(Path.join(dir, "a"), { flag: "wx" }), "AlreadyExists", "open")
        yield* expectSystemError(fs.open(dir, { flag: "w" }), "BadResource", "open")
        yield* expectSystemError(fs.open(Path.join(dir, "a", "b")), "BadResource", "open")
        const d = yield* fs.open(dir)
        yield* expectSystemError(d.readAlloc(10), "BadResource", "readAlloc")
        yield* expectSystemError(d.read(new Uint8Array(10)), "BadResource", "read")
        const ro = yield* fs.open(Path.join(dir, "a"), { flag: "r" })
        yield* expectSystemError(ro.write(encode("x")), "Unknown", "write")
        yield* expectSystemError(ro.writeAll(encode("x")), "Unknown", "writeAll")
        yield* expectSystemError(ro.truncate(0), "Unknown", "truncate")
        assert.strictEqual(readText(Path.join(dir, "a")), "x")
        const created = yield* fs.open(Path.join(dir, "new"), { flag: "wx", mode: 0o600 })
        assert.strictEqual((yield* created.stat).mode & 0o777, 0o600)
      }))

    // == readDirectory

    it.scoped("readDirectory: flat and recursive; errors", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = yield* tmpDir
        NFS.mkdirSync(Path.join(dir, "sub", "deep"), { recursive: true })
        writeText(Path.join(dir, "a"), "x")
        writeText(Path.join(dir, "sub", "b"), "x")
        writeText(Path.join(dir, "sub", "deep", "c"), "x")
        assert.deepStrictEqual([...(yield* fs.readDirectory(dir))].sort(), ["a", "sub"])
        assert.deepStrictEqual(
          [...(yield* fs.readDirectory(dir, { recursive: true }))].sort(),
          ["a", "sub", Path.join("sub", "b"), Path.join("sub", "deep"), Path.join("sub", "deep", "c")].sort()
        )
        yield* expectSystemError(fs.readDirectory(Path.join(dir, "missing")), "NotFound", "readDirectory")
        yield* expectSystemError(fs.readDirectory(Path.join(dir, "a")), "BadResource", "readDirectory")
      }))

    // == readFile / readFileString

    it.scoped("readFile: small, empty, large, size-0 procfs files; errors", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = yield* tmpDir
        writeText(Path.join(dir, "t"), LOREM)
        assert.strictEqual(decode(yield* fs.readFile(Path.join(dir, "t"))), LOREM)
        NFS.writeFileSync(Path.join(dir, "e"), "")
        assert.strictEqual((yield* fs.readFile(Path.join(dir, "e"))).length, 0)
        const data = randomBytes(24 * 1024 * 1024 + 5)
        NFS.writeFileSync(Path.join(dir, "big"), data)
        sameBytes(yield* fs.readFile(Path.join(dir, "big")), data)
        // procfs reports size 0 but has content: a reader must read to EOF, not trust st_size.
        const status = yield* fs.readFileString("/proc/self/status")
        assert.isTrue(status.includes("Pid:"))
        yield* expectSystemError(fs.readFile(Path.join(dir, "missing")), "NotFound", "readFile")
        // Node refuses files over 2 GiB (ERR_FS_FILE_TOO_LARGE) before reading; a sparse one costs nothing.
        NFS.writeFileSync(Path.join(dir, "sparse"), "")
        NFS.truncateSync(Path.join(dir, "sparse"), 2 ** 31)
        yield* expectSystemError(fs.readFile(Path.join(dir, "sparse")), "Unknown", "readFile")
        yield* expectSystemError(fs.readFile(dir), "BadResource", "readFile")
        yield* expectSystemError(fs.readFile(Path.join(dir, "t", "x")), "BadResource", "readFile")
      }))

    it.scoped("readFileString: encodings; an unknown encoding is a BadArgument", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = yield* tmpDir
        writeText(Path.join(dir, "u"), "héllo wörld ✓")
        assert.strictEqual(yield* fs.readFileString(Path.join(dir, "u")), "héllo wörld ✓")
        NFS.writeFileSync(Path.join(dir, "l"), Buffer.from("hi", "utf16le"))
        assert.strictEqual(yield* fs.readFileString(Path.join(dir, "l"), "utf-16le"), "hi")
        yield* expectBadArgument(fs.readFileString(Path.join(dir, "u"), "no-such-encoding"))
        yield* expectSystemError(fs.readFileString(Path.join(dir, "missing")), "NotFound", "readFile")
      }))

    // == remove

    it.scoped("remove: files, links, directories (recursive only), force", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = yield* tmpDir
        writeText(Path.join(dir, "a"), "x")
        NFS.symlinkSync("a", Path.join(dir, "l"))
        yield* fs.remove(Path.join(dir, "l"))
        assert.isTrue(NFS.existsSync(Path.join(dir, "a")))
        assert.isFalse(NFS.existsSync(Path.join(dir, "l")))
        yield* fs.remove(Path.join(dir, "a"))
        assert.isFalse(NFS.existsSync(Path.join(dir, "a")))
        NFS.mkdirSync(Path.join(dir, "d", "e"), { recursive: true })
        writeText(Path.join(dir, "d", "e", "f"), "x")
        NFS.mkdirSync(Path.join(dir, "empty"))
        // Node's rm refuses any directory without `recursive` (ERR_FS_EISDIR → Unknown).
        yield* expectSystemError(fs.remove(Path.join(dir, "empty")), "Unknown", "remove")
        yield* expectSystemError(fs.remove(Path.join(dir, "d")), "Unknown", "remove")
        yield* fs.remove(Path.join(dir, "d"), { recursive: true })
        yield* fs.remove(Path.join(dir, "empty"), { recursive: true })
        assert.deepStrictEqual(NFS.readdirSync(dir), [])
        yield* expectSystemError(fs.remove(Path.join(dir, "missing")), "NotFound", "remove")
        yield* fs.remove(Path.join(dir, "missing"), { force: true })
        yield* fs.remove(Path.join(dir, "missing"), { force: true, recursive: true })
        writeText(Path.join(dir, "f"), "x")
        yield* expectSystemError(fs.remove(Path.join(dir, "f", "x")), "BadResource", "remove")
      }))

    // == rename

    it.scoped("rename: files and directories; errors", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = yield* tmpDir
        writeText(Path.join(dir, "a"), "x")
        yield* fs.rename(Path.join(dir, "a"), Path.join(dir, "b"))
        assert.strictEqual(readText(Path.join(dir, "b")), "x")
        assert.isFalse(NFS.existsSync(Path.join(dir, "a")))
        writeText(Path.join(dir, "c"), "y")
        yield* fs.rename(Path.join(dir, "c"), Path.join(dir, "b"))
        assert.strictEqual(readText(Path.join(dir, "b")), "y")
        NFS.mkdirSync(Path.join(dir, "d"))
        yield* fs.rename(Path.join(dir, "d"), Path.join(dir, "e"))
        assert.isTrue(NFS.statSync(Path.join(dir, "e")).isDirectory())
        yield* expectSystemError(fs.rename(Path.join(dir, "missing"), Path.join(dir, "z")), "NotFound", "rename")
        yield* expectSystemError(fs.rename(Path.join(dir, "e"), Path.join(dir, "b")), "BadResource", "rename")
      }))

    // == stat

    it.scoped("stat: every field agrees with fs.statSync; types; errors", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = yield* tmpDir
        const p = Path.join(dir, "a")
        NFS.writeFileSync(p, randomBytes(12_345))
        const info = yield* fs.stat(p)
        const st = NFS.statSync(p)
        assert.strictEqual(info.type, "File")
        assert.strictEqual(info.size, FileSystem.Size(12_345))
        assert.strictEqual(info.mode, st.mode)
        assert.strictEqual(info.dev, st.dev)
        assert.deepStrictEqual(info.ino, Option.some(st.ino))
        assert.deepStrictEqual(info.nlink, Option.some(st.nlink))
        assert.deepStrictEqual(info.uid, Option.some(st.uid))
        assert.deepStrictEqual(info.gid, Option.some(st.gid))
        assert.deepStrictEqual(info.rdev, Option.some(st.rdev))
        assert.deepStrictEqual(info.blocks, Option.some(st.blocks))
        assert.deepStrictEqual(info.blksize, Option.some(FileSystem.Size(st.blksize)))
        assert.strictEqual(Option.getOrThrow(info.mtime).getTime(), st.mtime.getTime())
        assert.strictEqual(Option.getOrThrow(info.atime).getTime(), st.atime.getTime())
        assert.strictEqual(Option.getOrThrow(info.birthtime).getTime(), st.birthtime.getTime())
        // A timestamp whose fractional millisecond is over one half: rounding and truncation disagree.
        NFS.utimesSync(p, 1_000_000.0006, 1_000_000.0006)
        const rounded = NFS.statSync(p)
        assert.strictEqual(rounded.mtime.getTime(), 1_000_000_001)
        assert.strictEqual(Option.getOrThrow((yield* fs.stat(p)).mtime).getTime(), rounded.mtime.getTime())
        assert.strictEqual(Option.getOrThrow((yield* fs.stat(p)).atime).getTime(), rounded.atime.getTime())
        assert.strictEqual((yield* fs.stat(dir)).type, "Directory")
        NFS.symlinkSync("a", Path.join(dir, "l"))
        assert.strictEqual((yield* fs.stat(Path.join(dir, "l"))).type, "File")
        mkfifo(Path.join(dir, "fifo"))
        assert.strictEqual((yield* fs.stat(Path.join(dir, "fifo"))).type, "FIFO")
        assert.strictEqual((yield* fs.stat("/dev/null")).type, "CharacterDevice")
        yield* expectSystemError(fs.stat(Path.join(dir, "missing")), "NotFound", "stat")
        yield* expectSystemError(fs.stat(Path.join(dir, "a", "b")), "BadResource", "stat")
        NFS.symlinkSync("loop", Path.join(dir, "loop"))
        yield* expectSystemError(fs.stat(Path.join(dir, "loop")), "BadResource", "stat")
      }))

    // == stream

    it.scoped("stream: default 64 KiB chunks, chunkSize, offset, bytesToRead", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = yield* tmpDir
        const p = Path.join(dir, "s")
        const data = randomBytes(1024 * 1024 + 100)
        NFS.writeFileSync(p, data)
        const sizes = (options?: FileSystem.StreamOptions) =>
          Effect.map(Stream.runCollect(fs.stream(p, options)), (c) => Chunk.toReadonlyArray(c))
        const whole = yield* sizes()
        assert.deepStrictEqual(whole.map((c) => c.length), [...Array(16).fill(65536), 100])
        sameBytes(Buffer.concat(whole), data)

        const small = yield* sizes({ chunkSize: 1000 })
        assert.isTrue(small.slice(0, -1).every((c) => c.length === 1000))
        sameBytes(Buffer.concat(small), data)

        const window = yield* sizes({ offset: 100_000, bytesToRead: 250_000, chunkSize: FileSystem.KiB(64) })
        assert.deepStrictEqual(window.map((c) => c.length), [65536, 65536, 65536, 53392])
        sameBytes(Buffer.concat(window), data.subarray(100_000, 350_000))

        const pastEnd = yield* sizes({ offset: data.length - 10, bytesToRead: 1000 })
        sameBytes(Buffer.concat(pastEnd), data.subarray(data.length - 10))
        assert.deepStrictEqual(yield* sizes({ offset: data.length + 10 }), [])
        const zero = yield* sizes({ bytesToRead: 0 })
        assert.deepStrictEqual(zero, [])
        const bigChunks = yield* sizes({ chunkSize: FileSystem.MiB(4) })
        sameBytes(Buffer.concat(bigChunks), data)
      }))

    it.scoped("stream: empty file, procfs file, missing file, a directory", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = yield* tmpDir
        NFS.writeFileSync(Path.join(dir, "e"), "")
        assert.strictEqual(Chunk.size(yield* Stream.runCollect(fs.stream(Path.join(dir, "e")))), 0)
        const status = decode(Buffer.concat(Chunk.toReadonlyArray(yield* Stream.runCollect(fs.stream("/proc/self/status")))))
        assert.isTrue(status.includes("Pid:"))
        yield* expectSystemError(Stream.runDrain(fs.stream(Path.join(dir, "missing"))), "NotFound", "open")
        yield* expectSystemError(Stream.runDrain(fs.stream(dir)), "BadResource", "readAlloc")
      }))

    it.scoped("stream: a consumer that stops early releases the file", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = yield* tmpDir
        const p = Path.join(dir, "s")
        NFS.writeFileSync(p, randomBytes(4 * 1024 * 1024))
        const before = NFS.readdirSync("/proc/self/fd").length
        const first = yield* Stream.runHead(fs.stream(p, { chunkSize: 4096 }))
        assert.strictEqual(Option.getOrThrow(first).length, 4096)
        const taken = yield* Stream.runCollect(Stream.take(fs.stream(p), 3))
        assert.strictEqual(Chunk.size(taken), 3)
        assert.strictEqual(NFS.readdirSync("/proc/self/fd").length, before)
      }))

    // == sink

    it.scoped("sink: writes every chunk in order; flags; errors", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = yield* tmpDir
        const p = Path.join(dir, "out")
        const chunks = Array.from({ length: 50 }, (_, i) => randomBytes(1000 + i * 997))
        yield* Stream.run(Stream.fromIterable(chunks), fs.sink(p))
        sameBytes(NFS.readFileSync(p), Buffer.concat(chunks))

        writeText(p, "short")
        yield* Stream.run(Stream.make(encode("x")), fs.sink(p))
        assert.strictEqual(readText(p), "x")
        yield* Stream.run(Stream.make(encode("y"), encode("z")), fs.sink(p, { flag: "a" }))
        assert.strictEqual(readText(p), "xyz")
        yield* Stream.run(Stream.empty, fs.sink(Path.join(dir, "empty")))
        assert.strictEqual(NFS.statSync(Path.join(dir, "empty")).size, 0)
        yield* expectSystemError(Stream.run(Stream.make(encode("x")), fs.sink(p, { flag: "wx" })), "AlreadyExists", "open")
        yield* expectSystemError(Stream.run(Stream.make(encode("x")), fs.sink(dir)), "BadResource", "open")
      }))

    it.scoped("sink: a failing upstream leaves what was written before the failure", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = yield* tmpDir
        const p = Path.join(dir, "out")
        const exit = yield* Effect.exit(
          Stream.run(Stream.concat(Stream.make(encode("abc")), Stream.fail("boom")), fs.sink(p))
        )
        assert.isTrue(Exit.isFailure(exit))
        assert.strictEqual(readText(p), "abc")
      }))

    // == symlink covered above; truncate

    it.scoped("truncate: to zero, shorter, longer; errors", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = yield* tmpDir
        const p = Path.join(dir, "t")
        writeText(p, "hello world")
        yield* fs.truncate(p, 5)
        assert.strictEqual(readText(p), "hello")
        yield* fs.truncate(p, FileSystem.Size(8))
        sameBytes(NFS.readFileSync(p), Buffer.from("hello\0\0\0"))
        yield* fs.truncate(p)
        assert.strictEqual(NFS.statSync(p).size, 0)
        yield* expectSystemError(fs.truncate(Path.join(dir, "missing")), "NotFound", "truncate")
        yield* expectSystemError(fs.truncate(dir), "BadResource", "truncate")
      }))

    // == watch

    it.scoped("watch: reports a change in a watched directory", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = yield* tmpDir
        const fiber = yield* fs.watch(dir).pipe(Stream.take(1), Stream.runCollect, Effect.fork)
        yield* Effect.sleep(Duration.millis(100))
        writeText(Path.join(dir, "created"), "x")
        const events = yield* Fiber.join(fiber).pipe(Effect.timeout(Duration.seconds(5)))
        const event = Chunk.unsafeGet(events, 0)
        assert.strictEqual(Path.basename(event.path), "created")
        yield* expectSystemError(Stream.runDrain(fs.watch(Path.join(dir, "missing"))), "NotFound", "stat")
      }))

    // == writeFile / writeFileString

    it.scoped("writeFile: creates, truncates, appends, honours mode and wx; large files", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = yield* tmpDir
        const p = Path.join(dir, "w")
        yield* fs.writeFile(p, encode("a fairly long first content"))
        yield* fs.writeFile(p, encode("short"))
        assert.strictEqual(readText(p), "short")
        yield* fs.writeFile(p, encode("+more"), { flag: "a" })
        assert.strictEqual(readText(p), "short+more")
        yield* fs.writeFile(Path.join(dir, "m"), encode("x"), { mode: 0o600 })
        assert.strictEqual(NFS.statSync(Path.join(dir, "m")).mode & 0o777, 0o600)
        yield* fs.writeFile(Path.join(dir, "empty"), new Uint8Array(0))
        assert.strictEqual(NFS.statSync(Path.join(dir, "empty")).size, 0)
        const data = randomBytes(24 * 1024 * 1024 + 7)
        yield* fs.writeFile(Path.join(dir, "big"), data)
        sameBytes(NFS.readFileSync(Path.join(dir, "big")), data)
        yield* fs.writeFile(Path.join(dir, "view"), data.subarray(10, 20))
        sameBytes(NFS.readFileSync(Path.join(dir, "view")), data.subarray(10, 20))
        yield* expectSystemError(fs.writeFile(p, encode("x"), { flag: "wx" }), "AlreadyExists", "writeFile")
        yield* expectSystemError(fs.writeFile(dir, encode("x")), "BadResource", "writeFile")
        yield* expectSystemError(fs.writeFile(Path.join(dir, "no", "x"), encode("x")), "NotFound", "writeFile")
      }))

    it.scoped("writeFileString: utf-8 round trip", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = yield* tmpDir
        const p = Path.join(dir, "s")
        yield* fs.writeFileString(p, "héllo ✓")
        assert.strictEqual(readText(p), "héllo ✓")
        yield* fs.writeFileString(p, "!", { flag: "a" })
        assert.strictEqual(readText(p), "héllo ✓!")
      }))

    // == interruption

    it.scoped("interruption: readFile of a FIFO with no writer is interruptible", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = yield* tmpDir
        const fifo = Path.join(dir, "fifo")
        mkfifo(fifo)
        // A thread-pool open stays blocked in the kernel after the fiber lets go of it (Node's
        // layer); becoming a writer for a moment releases that thread.
        yield* Effect.addFinalizer(() =>
          Effect.sync(() => {
            const w = NFS.openSync(fifo, NFS.constants.O_RDWR | NFS.constants.O_NONBLOCK)
            NFS.writeSync(w, Buffer.alloc(64))
            NFS.closeSync(w)
          })
        )
        const fiber = yield* Effect.fork(fs.readFile(fifo))
        yield* Effect.sleep(Duration.millis(50))
        const exit = yield* Fiber.interrupt(fiber).pipe(Effect.timeout(Duration.seconds(5)))
        assert.isTrue(Exit.isInterrupted(exit), String(exit))
      }))

    it.scoped("File on a FIFO: reads are positional, as in NodeFileSystem (ESPIPE)", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = yield* tmpDir
        const fifo = Path.join(dir, "fifo")
        mkfifo(fifo)
        const file = yield* fs.open(fifo, { flag: "r+" })
        yield* expectSystemError(file.readAlloc(16), "Unknown", "readAlloc")
        yield* expectSystemError(file.read(new Uint8Array(16)), "Unknown", "read")
      }))

    it.scoped("interruption: readFile and stream interrupted mid-way leave no fd behind", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = yield* tmpDir
        const p = Path.join(dir, "big")
        NFS.writeFileSync(p, randomBytes(16 * 1024 * 1024))
        const before = NFS.readdirSync("/proc/self/fd").length
        const f1 = yield* Effect.fork(fs.readFile(p))
        const f2 = yield* Effect.fork(Stream.runDrain(fs.stream(p, { chunkSize: 4096 })))
        yield* Effect.yieldNow()
        yield* Fiber.interrupt(f1)
        yield* Fiber.interrupt(f2)
        // A late completion may still close its fd a moment after the fiber is gone (Node's readFile
        // closes after its thread-pool read returns): wait for the count, with a deadline.
        const openFds = () => NFS.readdirSync("/proc/self/fd").length
        yield* Effect.repeat(Effect.sync(openFds), {
          until: (n) => n <= before,
          schedule: Schedule.spaced(Duration.millis(20))
        }).pipe(Effect.timeout(Duration.seconds(10)), Effect.ignore)
        assert.strictEqual(openFds(), before)
        const read = yield* fs.readFile(p)
        assert.strictEqual(read.length, 16 * 1024 * 1024)
      }))

    it.scoped("sink into a stream: copy through stream and sink preserves bytes", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = yield* tmpDir
        const data = randomBytes(3 * 1024 * 1024 + 1)
        NFS.writeFileSync(Path.join(dir, "a"), data)
        yield* Stream.run(fs.stream(Path.join(dir, "a"), { chunkSize: 100_000 }), fs.sink(Path.join(dir, "b")))
        sameBytes(NFS.readFileSync(Path.join(dir, "b")), data)
        const counted = yield* Stream.run(fs.stream(Path.join(dir, "a")), Sink.sum.pipe(Sink.mapInput((c: Uint8Array) => c.length)))
        assert.strictEqual(counted, data.length)
      }))
  })
