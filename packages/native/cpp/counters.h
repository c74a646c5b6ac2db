// Per-ring counter indexes. Mirrored by `Counter` in src/internal/layout.ts: change both together.
#pragma once

namespace auraio {

enum Counter : int {
  kSubmitted = 0,     // ops accepted by the ring (includes queued ones)
  kCompleted = 1,     // ops whose result reached JS delivery
  kInFlight = 2,      // ops handed to the kernel (or the thread pool) and not yet completed
  kQueued = 3,        // ops waiting in the ring's limit FIFO
  kLimit = 4,         // in-flight limit (0 = unlimited)
  kEnters = 5,        // io_uring_enter syscalls made for this ring
  kSpills = 6,        // submissions routed away from the caller's CPU ring because it was at its limit
  kCancels = 7,       // cancel requests that found a live op
  kBytesRead = 8,
  kBytesWritten = 9,
  kErrors = 10,       // completions with a negative result
  kFallbacks = 11,    // ops run as plain syscalls on the libuv thread pool
  kLatencySumUs = 12, // sum of latencies of completed ops (mean = sum / completed)
  kCounterStride = 16
};

}  // namespace auraio
