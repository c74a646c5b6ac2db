// Process-wide rings shared by every engine opened with `shared: true` (the main thread and any
// worker_thread). One group per process, created by the first shared engine and torn down by the last.
//
//   submit (any env thread)  ── SharedRing::mu ──► SQEs, io_uring_enter (one per ring per batch)
//   right after its enter, the submitting thread reaps the CQ (SharedRing::cqMu, try-lock): its own
//        CQEs (page-cache reads complete inside the enter) go straight to its callbacks, others' are routed
//   kernel posts CQEs ──► group eventfd ──► reaper thread reaps what is left (async completions)
//        └─ user_data carries the engine's index (bits 53..62) ─► that engine's Inbox + its env's eventfd
//   env loop wakes ──► Engine drains its Inbox on its own thread and calls JS as for private rings
//
// Plain C++ (no Node headers). Lock order: gGroupMu → routeMu → Inbox::mu; SharedRing::mu and
// SharedRing::cqMu are each taken alone.
#pragma once
#include <liburing.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "ring.h"
#include "slots.h"

namespace auraio {

// One io_uring shared by several engines: the SQ side is guarded by `mu`; the CQ belongs to the reaper.
struct SharedRing {
  std::mutex mu;    // SQ: copy staged SQEs in, io_uring_enter
  std::mutex cqMu;  // CQ: peek + advance (the reaper, or a submitter right after its enter)
  io_uring ring{};
  bool live = false;
  std::atomic<int64_t> inflight{0};  // ops of every attached engine in this ring (routing looks at it)

  // Quiet: while an env that is pumping has entered the ring and will reap it in its next round, the
  // kernel need not signal the group eventfd (it would only wake the reaper to find the CQ reaped, or
  // to steal completions the submitter was about to take). Counted across envs; the last one to leave
  // re-enables the signal and says whether CQEs are waiting (they may have been posted unsignalled).
  void enterQuiet() {
    std::lock_guard<std::mutex> g(flagMu);
    if (quiet++ == 0) io_uring_cq_eventfd_toggle(&ring, false);
  }
  bool leaveQuiet() {
    std::lock_guard<std::mutex> g(flagMu);
    if (--quiet != 0) return false;
    io_uring_cq_eventfd_toggle(&ring, true);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return io_uring_cq_ready(&ring) != 0;
  }

 private:
  std::mutex flagMu;
  int quiet = 0;
};

// Completions routed to one engine, filled by the reaper, drained by the engine's env thread.
struct Inbox {
  std::mutex mu;
  std::condition_variable cv;  // a closing engine waits here (bounded) for its last CQEs
  std::vector<std::pair<uint64_t, int64_t>> items;
  std::atomic<bool> nonEmpty{false};
  int wakeFd = -1;  // the env's eventfd: its loop pumps when it is written
};

constexpr unsigned kEngineTagShift = 53;
constexpr uint32_t kMaxAttached = 1024;  // 10 bits of user_data
constexpr uint64_t kEngineTagMask = (uint64_t{kMaxAttached} - 1) << kEngineTagShift;

class RingGroup {
 public:
  // Attaches `inbox` to the process group, creating the group (rings × `o` entries) if there is none.
  // Returns the group and sets *index, or nullptr with *err = -errno.
  static RingGroup* attach(unsigned rings, const RingOptions& o, Inbox* inbox, uint32_t* index, int* err);
  // Detaches; `leftovers` (the slots of an engine whose ops outlived its bounded wait: paths and iovecs
  // the kernel may still read) are kept until the rings exit. The last engine to leave stops the reaper
  // and exits the rings.
  static void detach(RingGroup* g, uint32_t index, std::unique_ptr<SlotTable> leftovers);
  // The ring count an engine attaching now will see: the group's, or `wanted` when there is no group.
  static unsigned ringsFor(unsigned wanted);
  // Process-wide figures for tests: groups alive (0/1), rings of the group, engines attached.
  static void info(int64_t* groups, int64_t* rings, int64_t* engines);

  unsigned ringCount() const { return static_cast<unsigned>(rings_.size()); }
  // Hands (user_data, res) pairs to their engines' inboxes and wakes those envs (one lock and one wake
  // per engine). Pairs of engines that have left are dropped. Reorders `batch`.
  void route(std::vector<std::pair<uint64_t, int64_t>>& batch);
  // Wakes the reaper (CQEs were posted while the eventfd signal was off).
  void kick();
  SharedRing& ring(unsigned i) { return *rings_[i]; }
  int ringFd(unsigned i) const { return rings_[i]->ring.ring_fd; }

 private:
  RingGroup() = default;
  ~RingGroup();
  int init(unsigned rings, const RingOptions& o);
  void reap();

  std::vector<std::unique_ptr<SharedRing>> rings_;
  int eventfd_ = -1;
  std::thread reaper_;
  std::atomic<bool> stop_{false};
  std::mutex routeMu_;
  Inbox* engines_[kMaxAttached] = {};
  uint32_t attached_ = 0;
  uint32_t nextIndex_ = 0;
  std::vector<std::unique_ptr<SlotTable>> leftovers_;
};

}  // namespace auraio
