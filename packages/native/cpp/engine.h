// The engine: rings, slot table, routing, limit FIFOs, cancel, reaping. Plain C++ (no Node headers): the
// binding supplies an EngineHost that delivers batches to JS, runs thread-pool fallbacks and refs the loop.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "group.h"
#include "histogram.h"
#include "readmany.h"
#include "ring.h"
#include "slots.h"

namespace auraio {

uint64_t nowNs();

class EngineHost {
 public:
  virtual ~EngineHost() = default;
  // `pairs` (slot, result) pairs are in the delivery buffer: hand them to JS with one call.
  virtual void deliver(uint32_t pairs) = 0;
  // Run slot's op as a plain syscall off the loop; finish with Engine::fallbackDone on the loop thread.
  virtual void runFallback(uint32_t slot) = 0;
  // Try to withdraw a fallback op that has not started; true if withdrawn (fallbackDone still follows).
  virtual bool cancelFallback(uint32_t slot) = 0;
  // Keep the event loop alive while ops are outstanding.
  virtual void setActive(bool active) = 0;
  // Make the loop call pump() soon (CQEs arrived while eventfd notifications were off).
  virtual void wake() = 0;
  // Ops are (or are no longer) in the kernel after a pump: keep (or drop) a slow safety-net timer.
  virtual void backstop(bool armed) = 0;
};

struct EngineOptions {
  unsigned rings = 1;
  RingOptions ring;
  unsigned submitBatch = 32;   // flush a ring as soon as this many SQEs are pending
  uint32_t forceFallbackMask = 0;  // bit per OpKind: pretend the kernel lacks it (tests)
  bool shared = false;  // attach to the process group's rings (group.h) instead of opening private ones
};

constexpr uint32_t kDeliverCapacity = 4096;  // pairs per JS call

class Engine {
 public:
  Engine(EngineHost* host, double* counters, double* hist, double* deliverBuf)
      : host_(host), counters_(counters), hist_(hist), out_(deliverBuf) {}
  ~Engine();

  // 0 or -errno; `stage` names what failed ("io_uring_queue_init", "eventfd", ...). Private rings signal
  // `eventfd` on completions; with o.shared the group's reaper writes it when this engine's inbox fills.
  int init(const EngineOptions& o, int eventfd, const char** stage);

  unsigned ringCount() const { return static_cast<unsigned>(rings_.size()); }
  bool shared() const { return shared_; }
  int ringFd(unsigned i) const { return rings_[i]->u->ring_fd; }
  bool closed() const { return closed_; }
  bool kernelHas(OpKind k) const { return supported_[static_cast<int>(k)]; }

  // Hot path: allocate a slot, fill slot(s).op, then start(). Returns -1 when slots are exhausted.
  int64_t allocSlot() { return slots_.alloc(); }
  OpDesc& opOf(uint32_t s) { return slots_.at(s).op; }
  Slot& slot(uint32_t s) { return slots_.at(s); }
  uint64_t genOf(uint32_t s) { return slots_.at(s).gen; }
  // Starts a single op or a chain (head + `members` already linked with link()). Returns the JS id.
  double start(uint32_t s);
  // Makes `member` run after `head` in the same linked chain (IOSQE_IO_LINK); call before start(head).
  void link(uint32_t head, uint32_t member);
  void release(uint32_t s) { slots_.release(s); }
  // One native call that prepares many ops (readBatch) stamps them all with one clock read.
  void beginBatch() { callNs_ = nowNs(); }
  void endBatch() { callNs_ = 0; }

  void cancel(double id);
  void cancelAll();
  void setLimit(unsigned ring, uint32_t limit);
  // Registers `iov` as fixed buffers on every ring (all or none). 0 or -errno (ENOMEM: RLIMIT_MEMLOCK).
  int registerBuffers(const std::vector<iovec>& iov);
  int unregisterBuffers();
  uint32_t limit(unsigned ring) const { return rings_[ring]->limit; }
  uint64_t outstanding() const { return active_; }

  // readMany (readmany.cc): take a job, fill its columns and count/window/failFast, then start it.
  // Returns the head's id, or -2 when no slot is free (the job is taken back).
  ReadManyJob* takeReadManyJob();
  double startReadMany(ReadManyJob* j);

  // Submit what is pending, reap, deliver to JS; repeats while completions keep coming (bounded rounds).
  void pump();
  // One event-loop turn may run several pumps (Host::pump's passes). Callbacks that submit again keep
  // every round busy, so the turn is bounded in time: past kTurnNs no new round starts and the pump
  // returns to the event loop (timers, other I/O), which comes straight back through the wake.
  void beginTurn() { turnStartNs_ = nowNs(); }
  bool turnOver() const { return turnStartNs_ != 0 && nowNs() - turnStartNs_ >= kTurnNs; }
  static constexpr uint64_t kTurnNs = 1000000;
  void fallbackDone(uint32_t s, int64_t result);
  // Called from JS while a batch is being delivered: recycles that batch's slots, then submits, reaps and
  // returns the size of the next batch (already in the delivery buffer), or 0 to stop.
  uint32_t nextRound();

  // Stops everything without calling JS: cancels in-kernel ops, waits up to waitMs for their CQEs (so the
  // kernel no longer touches JS memory), then tears the rings down.
  void destroy(int waitMs);
  bool pumping() const { return pumping_; }
  // Work a pump could do right now: SQEs not yet handed to the kernel, results waiting for delivery,
  // or CQEs already posted. (Ops merely in flight are not: the eventfd reports them.)
  bool hasImmediateWork() const {
    if (closed_) return false;
    if (!ready_.empty()) return true;
    if (shared_ && (inboxPos_ < inboxLocal_.size() || inbox_.nonEmpty.load(std::memory_order_relaxed))) return true;
    for (auto& r : rings_)
      if (r->pending != 0 || (!shared_ && io_uring_cq_ready(r->u) != 0)) return true;
    return false;
  }
  // Anything that a pump would submit, reap or deliver.
  bool hasWork() const {
    if (closed_) return false;
    if (!ready_.empty()) return true;
    for (auto& r : rings_)
      if (r->pending != 0 || r->inflight != 0 || !r->fifo.empty()) return true;
    return false;
  }

 private:
  uint32_t openRound();
  void closeRound();
  void issue(uint32_t s, Ring& r);
  void promote(Ring& r);
  unsigned route(uint32_t need);
  void complete(uint32_t s, int64_t res, uint64_t nowNs);
  void finish(uint32_t s, int64_t res, bool report);
  void emit(uint32_t s, int64_t res);
  uint32_t collect();
  void collectInbox(uint64_t now);
  // Reaps a shared ring's CQ if nobody else is (try-lock): ours complete, others' go to foreign_.
  // False if the CQ was busy.
  bool reapShared(Ring& r, uint64_t now);
  void destroyShared(int waitMs);
  void flushAll();
  void cancelSlot(uint32_t s);
  void prepCancel(Ring& r, uint64_t userData);
  void readManyMemberDone(uint32_t s, int64_t res);
  void readManyRefill(ReadManyJob& j);
  void readManySweep(ReadManyJob& j);
  void readManyCancel(ReadManyJob& j);
  void readManyFinish(ReadManyJob& j);
  void readManyRefillQueued();
  void activeInc() {
    if (active_++ == 0) host_->setActive(true);
  }
  uint32_t opsIn(uint32_t head);
  // user_data of slot s: gen << 21 | slot, plus this engine's index in a shared group (bits 53..62).
  uint64_t tagged(uint32_t s, uint64_t gen) const { return ((gen << (kSlotBits + 1)) | s) | tag_; }

  EngineHost* host_;
  double* counters_;
  double* hist_;
  double* out_;
  uint32_t outCount_ = 0;
  bool collecting_ = false;
  bool pumping_ = false;
  bool roundOpen_ = false;
  int rounds_ = 0;
  uint64_t turnStartNs_ = 0;
  uint64_t callNs_ = 0;
  bool closed_ = false;
  unsigned submitBatch_ = 32;
  uint64_t active_ = 0;  // JS-visible ops not yet delivered
  std::vector<std::unique_ptr<Ring>> rings_;
  SlotTable slots_;
  std::vector<uint32_t> delivered_;  // slots to recycle once JS has seen their results
  std::vector<std::pair<uint32_t, int64_t>> ready_;  // results produced outside a reap (cancelled, fallback)
  bool supported_[kOpKinds] = {};
  bool buffersRegistered_ = false;
  // Shared rings: which group, our index in it (also in every user_data as tag_), and the inbox the
  // reaper fills. inboxLocal_ is the batch taken from the inbox, consumed from inboxPos_.
  bool shared_ = false;
  RingGroup* group_ = nullptr;
  uint32_t groupIndex_ = 0;
  uint64_t tag_ = 0;
  mutable Inbox inbox_;
  std::vector<std::pair<uint64_t, int64_t>> inboxLocal_;
  size_t inboxPos_ = 0;
  std::vector<std::pair<uint64_t, int64_t>> foreign_;  // others' CQEs we reaped, to route
  // readMany jobs (all ever made, and the free ones), and member completions since the round began: a
  // round that only advanced jobs delivers nothing to JS but must not end the pump.
  std::vector<std::unique_ptr<ReadManyJob>> jobs_;
  std::vector<ReadManyJob*> freeJobs_;
  std::vector<ReadManyJob*> refillQueue_;  // jobs that lost members during the current reap
  uint32_t jobReaped_ = 0;
  // Job heads handed to JS in the current round, and jobs started since it opened. A caller whose
  // continuation runs in a microtask (a fiber resumed through its scheduler, a promise) starts its next
  // job only after the pump returns: while heads outnumber new jobs the pump ends after the delivery,
  // so those microtasks run while the other jobs are still going. A caller that starts its next job
  // from the callback itself (a fiber resumed on the spot) keeps the pump going: ending it would cost
  // a pass through the event loop's callback scope and an enter with a partial batch per call.
  uint32_t jobHeadsOut_ = 0;
  uint32_t jobsStarted_ = 0;
  bool jobContinuationsPending() const { return jobHeadsOut_ > jobsStarted_; }
};

uint64_t nowNs();

}  // namespace auraio
