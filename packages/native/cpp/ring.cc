#include "ring.h"

#include <cerrno>
#include <cstring>
#include <mutex>

#include "group.h"

namespace auraio {

int Ring::init(const RingOptions& o, int eventfd, double* counters, double* hist) {
  ctr = counters;
  this->hist = hist;
  io_uring_params p;
  std::memset(&p, 0, sizeof(p));
  // SUBMIT_ALL: one bad SQE must not strand the rest of the batch in the SQ. A larger CQ absorbs bursts
  // when the limit is off (the kernel also keeps overflowed CQEs, IORING_FEAT_NODROP).
  p.flags = IORING_SETUP_SUBMIT_ALL | IORING_SETUP_CQSIZE;
  p.cq_entries = o.entries * 4;
  if (o.sqpoll) {
    p.flags |= IORING_SETUP_SQPOLL;
    p.sq_thread_idle = o.sqpollIdleMs;
  }
  int r = io_uring_queue_init_params(o.entries, &ring, &p);
  if (r == -EINVAL) {
    // Kernels before 5.18 reject SUBMIT_ALL: retry with the oldest flag set that works.
    p.flags &= ~IORING_SETUP_SUBMIT_ALL;
    r = io_uring_queue_init_params(o.entries, &ring, &p);
  }
  if (r < 0) return r;
  live_ = true;
  sqpoll_ = o.sqpoll;
  if (o.iowqBounded != 0 || o.iowqUnbounded != 0) {
    unsigned vals[2] = {o.iowqBounded, o.iowqUnbounded};
    io_uring_register_iowq_max_workers(&ring, vals);  // best effort: older kernels lack it
  }
  io_uring_register_ring_fd(&ring);  // saves an fd lookup per enter; best effort
  if (eventfd >= 0) {
    r = io_uring_register_eventfd(&ring, eventfd);
    if (r < 0) {
      exit();
      return r;
    }
    hasEventfd_ = true;
  }
  return 0;
}

void Ring::exit() {
  if (!live_) return;
  live_ = false;
  io_uring_queue_exit(&ring);
}

}  // namespace auraio

namespace auraio {

void Ring::publishLoad() {
  if (sh == nullptr || shDelta == 0) return;
  sh->inflight.fetch_add(shDelta, std::memory_order_relaxed);
  shDelta = 0;
}

bool Ring::leaveQuiet() {
  if (!quiet) return false;
  quiet = false;
  return sh->leaveQuiet();
}

int Ring::flushShared() {
  std::lock_guard<std::mutex> lock(sh->mu);
  // Inside a pump, a round that reaps this ring follows (or the pump's end looks at it): completions of
  // this enter need no eventfd signal.
  if (!quiet && pumping != nullptr && *pumping) {
    sh->enterQuiet();
    quiet = true;
  }
  // Every flush under the lock leaves the SQ empty (without SQPOLL the kernel consumes all it is given,
  // and SUBMIT_ALL keeps going past a bad SQE), so the staged batch normally fits in one enter.
  unsigned done = 0;
  int total = 0;
  while (done < staged_) {
    unsigned copied = 0;
    while (done + copied < staged_) {
      io_uring_sqe* q = io_uring_get_sqe(u);
      if (q == nullptr) break;
      *q = stage_[done + copied];
      ++copied;
    }
    int r = io_uring_submit(u);
    ctr[kEnters] += 1;
    if (r < 0) {
      // Keep what the kernel did not take (it stays in the SQ for the next enter, ours or another
      // engine's: rare enough not to matter) and report the error like a private ring.
      done += copied;
      total = r;
      break;
    }
    done += copied;
    total += r;
    if (copied == 0) break;
  }
  if (done < staged_) std::memmove(&stage_[0], &stage_[done], (staged_ - done) * sizeof(io_uring_sqe));
  staged_ -= done;
  pending = staged_;
  publishLoad();
  return total;
}

}  // namespace auraio
