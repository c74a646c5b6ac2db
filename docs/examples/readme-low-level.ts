import { openEngine } from "@auraio/native"

// No Effect: Promise and callback forms over the same rings (one per CPU).
const engine = openEngine()
const fd = await engine.promises.open("/usr/bin/env", "r")
const buffer = new Uint8Array(4096)
const n = await engine.promises.read(fd, buffer, 0, buffer.length, 0)
console.log(`read ${n} bytes; ELF magic: ${buffer[1] === 0x45 && buffer[2] === 0x4c && buffer[3] === 0x46}`)

engine.read(fd, buffer, 0, buffer.length, 4096, (err, bytesRead) => {
  if (err) throw err // a Node-style ErrnoException (code, errno, syscall)
  console.log(`callback form: ${bytesRead} bytes at offset 4096`)
  const s = engine.stats()
  console.log(`${s.rings.length} rings, ${s.total.completed} ops completed, ${s.total.enters} io_uring_enter calls`)
  void engine.promises.close(fd).then(() => engine.close())
})
