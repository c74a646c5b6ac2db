// One io_uring plus its bookkeeping: pending SQEs not yet submitted, ops in flight, and the FIFO of ops
// waiting for the in-flight limit. Owned and touched by exactly one thread (the env's loop thread).
#pragma once
#include <liburing.h>

#include <cstdint>
#include <deque>
#include <utility>

#include "counters.h"

namespace auraio {

struct RingOptions {
  unsigned entries = 256;
  bool sqpoll = false;
  unsigned sqpollIdleMs = 50;
  unsigned iowqBounded = 0;    // 0 = leave the kernel default
  unsigned iowqUnbounded = 0;
};

class Ring {
 public:
  Ring() = default;
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;
  ~Ring() { exit(); }

  // Returns 0 or -errno (the setup errno that openEngine reports).
  int init(const RingOptions& o, int eventfd, double* counters, double* hist);
  void exit();

  // Submits every prepared SQE with one io_uring_enter. Returns the number submitted or -errno.
  int flush() {
    if (pending == 0) return 0;
    bool enters = true;
    if (sqpoll_) enters = (IO_URING_READ_ONCE(*ring.sq.kflags) & IORING_SQ_NEED_WAKEUP) != 0;
    int r = io_uring_submit(&ring);
    if (enters) ctr[kEnters] += 1;
    if (r > 0) pending = r >= static_cast<int>(pending) ? 0 : pending - r;
    return r;
  }

  io_uring_sqe* sqe() {
    io_uring_sqe* s = io_uring_get_sqe(&ring);
    if (s == nullptr && flush() >= 0) s = io_uring_get_sqe(&ring);
    return s;
  }

  unsigned sqSpace() { return io_uring_sq_space_left(&ring); }

  bool atLimit(uint32_t need) const {
    return limit != 0 && (queuedOps > 0 || (inflight > 0 && inflight + need > limit));
  }

  void setEventfdEnabled(bool on) {
    if (hasEventfd_) io_uring_cq_eventfd_toggle(&ring, on);
  }

  io_uring ring{};
  unsigned pending = 0;        // SQEs prepared but not yet submitted
  uint32_t inflight = 0;       // ops with an SQE or a thread-pool request, not yet completed
  uint32_t queuedOps = 0;      // ops waiting in fifo (a chain counts as its length)
  uint32_t limit = 0;          // 0 = unlimited
  std::deque<std::pair<uint32_t, uint64_t>> fifo;  // (slot, gen) of waiting heads
  double* ctr = nullptr;       // kCounterStride counters of this ring
  double* hist = nullptr;      // kLatencyBuckets buckets of this ring

 private:
  bool live_ = false;
  bool sqpoll_ = false;
  bool hasEventfd_ = false;
};

}  // namespace auraio
