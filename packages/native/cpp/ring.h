// One io_uring plus its bookkeeping: pending SQEs not yet submitted, ops in flight, and the FIFO of ops
// waiting for the in-flight limit. The bookkeeping is touched by exactly one thread (the env's loop
// thread). A private ring owns its io_uring and prepares SQEs in place. A shared one (`sh`, see group.h)
// prepares them in a private staging array and copies the batch into the process-wide SQ under sh->mu
// right before its own io_uring_enter: the kernel then always sees the owning thread as the submitter
// (a request belongs to the task that entered it: it is cancelled when that thread exits, and its task
// work runs there), and no engine ever submits another's half-prepared SQEs.
#pragma once
#include <liburing.h>

#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <utility>

#include "counters.h"

namespace auraio {

struct SharedRing;

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
  // Bookkeeping over a ring of the process group (nothing to set up or exit here).
  void attachShared(SharedRing* shared, io_uring* uring, double* counters, double* hist) {
    sh = shared;
    u = uring;
    ctr = counters;
    this->hist = hist;
    stageCap_ = uring->sq.ring_entries;
    stage_.reset(new io_uring_sqe[stageCap_]);
  }
  void exit();

  // Submits every prepared SQE with one io_uring_enter. Returns the number submitted or -errno.
  int flush() {
    if (pending == 0) return 0;
    if (sh != nullptr) return flushShared();
    bool enters = true;
    if (sqpoll_) enters = (IO_URING_READ_ONCE(*ring.sq.kflags) & IORING_SQ_NEED_WAKEUP) != 0;
    int r = io_uring_submit(u);
    if (enters) ctr[kEnters] += 1;
    if (r > 0) pending = r >= static_cast<int>(pending) ? 0 : pending - r;
    return r;
  }

  // The next SQE to fill: in the SQ itself, or in the staging array of a shared ring.
  io_uring_sqe* getSqe() {
    if (sh == nullptr) return io_uring_get_sqe(u);
    if (staged_ == stageCap_) return nullptr;
    io_uring_sqe* q = &stage_[staged_++];
    std::memset(q, 0, sizeof(*q));
    return q;
  }

  io_uring_sqe* sqe() {
    io_uring_sqe* s = getSqe();
    if (s == nullptr && flush() >= 0) s = getSqe();
    return s;
  }

  unsigned sqSpace() { return sh == nullptr ? io_uring_sq_space_left(u) : stageCap_ - staged_; }

  bool atLimit(uint32_t need) const {
    return limit != 0 && (queuedOps > 0 || (inflight > 0 && inflight + need > limit));
  }

  void setEventfdEnabled(bool on) {
    if (hasEventfd_) io_uring_cq_eventfd_toggle(&ring, on);
  }

  io_uring ring{};
  io_uring* u = &ring;         // the io_uring this bookkeeping submits to (private: `ring`)
  SharedRing* sh = nullptr;    // shared ring of the process group, or null
  int64_t shDelta = 0;         // our change to sh->inflight not yet published (one atomic per batch)
  void publishLoad();
  const bool* pumping = nullptr;  // the owning engine is inside its pump: a flush may go quiet
  bool quiet = false;             // we hold the shared ring's eventfd signal off (SharedRing::enterQuiet)
  // Drops our hold on the signal; true if CQEs were waiting when it came back on.
  bool leaveQuiet();
  unsigned pending = 0;        // SQEs prepared but not yet submitted
  uint32_t inflight = 0;       // ops with an SQE or a thread-pool request, not yet completed
  uint32_t queuedOps = 0;      // ops waiting in fifo (a chain counts as its length)
  uint32_t limit = 0;          // 0 = unlimited
  std::deque<std::pair<uint32_t, uint64_t>> fifo;  // (slot, gen) of waiting heads
  double* ctr = nullptr;       // kCounterStride counters of this ring
  double* hist = nullptr;      // kLatencyBuckets buckets of this ring

 private:
  int flushShared();
  std::unique_ptr<io_uring_sqe[]> stage_;
  unsigned stageCap_ = 0;
  unsigned staged_ = 0;
  bool live_ = false;
  bool sqpoll_ = false;
  bool hasEventfd_ = false;
};

}  // namespace auraio
