#include "engine.h"

#include <sched.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <cerrno>

namespace auraio {

namespace {
// user_data layout: engine << 53 | gen << 21 | internal << 20 | slot (engine: index in a shared group, 0
// for private rings). Internal SQEs (cancel) are never reported to JS.
constexpr uint64_t kInternal = 1ull << kSlotBits;
constexpr uint64_t kSlotMask = kMaxSlots - 1;

constexpr int kMaxRounds = 64;
}  // namespace

uint64_t nowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

Engine::~Engine() { destroy(0); }

int Engine::init(const EngineOptions& o, int eventfd, const char** stage) {
  submitBatch_ = std::max(1u, o.submitBatch);
  if (o.shared) {
    inbox_.wakeFd = eventfd;
    int err = 0;
    group_ = RingGroup::attach(o.rings, o.ring, &inbox_, &groupIndex_, &err);
    if (group_ == nullptr) {
      *stage = "io_uring_queue_init_params";
      return err;
    }
    shared_ = true;
    tag_ = static_cast<uint64_t>(groupIndex_) << kEngineTagShift;
    // The first shared engine chose the group's ring count; the host sized our counters for o.rings,
    // which it took from the group (RingGroup::ringsFor) unless the group came and went meanwhile.
    const unsigned n = std::min(group_->ringCount(), o.rings);
    for (unsigned i = 0; i < n; ++i) {
      auto r = std::make_unique<Ring>();
      r->attachShared(&group_->ring(i), &group_->ring(i).ring, counters_ + i * kCounterStride, hist_ + i * kLatencyBuckets);
      r->pumping = &pumping_;
      rings_.push_back(std::move(r));
    }
  }
  for (unsigned i = 0; !shared_ && i < o.rings; ++i) {
    auto r = std::make_unique<Ring>();
    int e = r->init(o.ring, eventfd, counters_ + i * kCounterStride, hist_ + i * kLatencyBuckets);
    if (e < 0) {
      *stage = "io_uring_queue_init_params";
      rings_.clear();
      return e;
    }
    rings_.push_back(std::move(r));
  }
  io_uring_probe* probe = io_uring_get_probe_ring(rings_[0]->u);
  for (int k = 0; k < kOpKinds; ++k) {
    int opcode = opcodeOf(static_cast<OpKind>(k));
    bool has = probe != nullptr && opcode <= probe->last_op && io_uring_opcode_supported(probe, opcode);
    supported_[k] = has && (o.forceFallbackMask & (1u << k)) == 0;
  }
  if (probe != nullptr) io_uring_free_probe(probe);
  return 0;
}

uint32_t Engine::opsIn(uint32_t head) {
  uint32_t n = 0;
  for (int32_t c = static_cast<int32_t>(head); c >= 0; c = slots_.at(c).next) ++n;
  return n;
}

void Engine::link(uint32_t head, uint32_t member) {
  Slot& m = slots_.at(member);
  m.member = true;
  m.head = static_cast<int32_t>(head);
  int32_t* tail = &slots_.at(head).next;
  while (*tail >= 0) tail = &slots_.at(*tail).next;
  *tail = static_cast<int32_t>(member);
}

unsigned Engine::route(uint32_t need) {
  const unsigned n = static_cast<unsigned>(rings_.size());
  if (n == 1) return 0;
  int cpu = sched_getcpu();
  unsigned home = cpu < 0 ? 0 : static_cast<unsigned>(cpu) % n;
  Ring& r = *rings_[home];
  if (!r.atLimit(need)) return home;
  // Load of a shared ring is every attached engine's in-flight ops (one relaxed load), plus our queue.
  auto loadOf = [](const Ring& x) -> uint64_t {
    const int64_t inflight = x.sh != nullptr ? x.sh->inflight.load(std::memory_order_relaxed) + x.shDelta : x.inflight;
    return static_cast<uint64_t>(inflight < 0 ? 0 : inflight) + x.queuedOps;
  };
  unsigned best = home;
  uint64_t bestLoad = loadOf(r);
  for (unsigned j = 0; j < n; ++j) {
    const uint64_t load = loadOf(*rings_[j]);
    if (load < bestLoad) {
      best = j;
      bestLoad = load;
    }
  }
  if (best != home) r.ctr[kSpills] += 1;
  return best;
}

double Engine::start(uint32_t s) {
  Slot& sl = slots_.at(s);
  const uint32_t need = opsIn(s);
  const unsigned ri = route(need);
  Ring& r = *rings_[ri];
  for (int32_t c = static_cast<int32_t>(s); c >= 0; c = slots_.at(c).next) slots_.at(c).ring = static_cast<uint16_t>(ri);
  sl.chainRemaining = static_cast<uint8_t>(need);
  sl.result = 0;
  sl.chainErr = 0;
  r.ctr[kSubmitted] += need;
  activeInc();
  if (r.atLimit(need)) {
    sl.state = SlotState::Queued;
    r.fifo.emplace_back(s, sl.gen);
    r.queuedOps += need;
    r.ctr[kQueued] = r.queuedOps;
  } else {
    issue(s, r);
  }
  return SlotTable::idOf(s, sl.gen);
}

void Engine::issue(uint32_t s, Ring& r) {
  Slot& sl = slots_.at(s);
  const uint32_t need = sl.chainRemaining;
  bool kernel = true;
  for (int32_t c = static_cast<int32_t>(s); c >= 0; c = slots_.at(c).next)
    kernel = kernel && supported_[static_cast<int>(slots_.at(c).op.kind)];
  if (!kernel) {
    if (sl.next >= 0) {
      // A chain needs the kernel's ordering guarantee; a thread-pool emulation is not worth its risk.
      for (int32_t c = sl.next; c >= 0; c = slots_.at(c).next) slots_.at(c).state = SlotState::Done;
      finish(s, -EOPNOTSUPP, true);
      return;
    }
    sl.state = SlotState::Fallback;
    sl.startNs = nowNs();
    r.inflight += 1;
    r.ctr[kInFlight] += 1;
    r.ctr[kFallbacks] += 1;
    r.shDelta += 1;
    host_->runFallback(s);
    return;
  }
  const uint64_t t = callNs_ != 0 ? callNs_ : nowNs();
  if (r.sqSpace() < need) {
    r.flush();
    if (r.sqSpace() < need) {
      // SQ full and the kernel would not take more right now: wait at the head of the FIFO.
      sl.state = SlotState::Queued;
      r.fifo.emplace_front(s, sl.gen);
      r.queuedOps += need;
      r.ctr[kQueued] = r.queuedOps;
      return;
    }
  }
  for (int32_t c = static_cast<int32_t>(s); c >= 0;) {
    Slot& x = slots_.at(c);
    io_uring_sqe* q = r.getSqe();
    prepSqe(q, x.op, tagged(static_cast<uint32_t>(c), x.gen));
    if (x.next >= 0) q->flags |= IOSQE_IO_LINK;
    x.state = SlotState::InKernel;
    x.startNs = t;
    c = x.next;
  }
  r.pending += need;
  if (r.pending >= submitBatch_) r.flush();
  r.inflight += need;
  r.ctr[kInFlight] += need;
  r.shDelta += need;
}

void Engine::promote(Ring& r) {
  while (!r.fifo.empty()) {
    auto [s, gen] = r.fifo.front();
    Slot& sl = slots_.at(s);
    if (sl.gen != gen || sl.state != SlotState::Queued) {
      r.fifo.pop_front();
      continue;
    }
    const uint32_t need = sl.chainRemaining;
    if (r.limit != 0 && r.inflight > 0 && r.inflight + need > r.limit) break;
    if (r.sqSpace() < need) {
      r.flush();
      if (r.sqSpace() < need) break;
    }
    r.fifo.pop_front();
    r.queuedOps -= need;
    r.ctr[kQueued] = r.queuedOps;
    issue(s, r);
  }
}

void Engine::complete(uint32_t s, int64_t res, uint64_t now) {
  Slot& sl = slots_.at(s);
  Ring& r = *rings_[sl.ring];
  r.inflight -= 1;
  r.shDelta -= 1;
  r.ctr[kInFlight] -= 1;
  r.ctr[kCompleted] += 1;
  const uint64_t us = now > sl.startNs ? (now - sl.startNs) / 1000 : 0;
  r.hist[latencyBucket(us)] += 1;
  r.ctr[kLatencySumUs] += static_cast<double>(us);
  if (res < 0) {
    r.ctr[kErrors] += 1;
  } else {
    switch (sl.op.kind) {
      case OpKind::Read:
      case OpKind::ReadFixed:
      case OpKind::Readv: r.ctr[kBytesRead] += static_cast<double>(res); break;
      case OpKind::Write:
      case OpKind::WriteFixed:
      case OpKind::Writev: r.ctr[kBytesWritten] += static_cast<double>(res); break;
      default: break;
    }
  }
  if (sl.member || sl.next >= 0) {
    // Chain: the head's own error wins, then the first member error, else the head's result.
    sl.state = SlotState::Done;
    const uint32_t h = sl.member ? static_cast<uint32_t>(sl.head) : s;
    Slot& hs = slots_.at(h);
    if (sl.member) {
      if (res < 0 && hs.chainErr == 0) hs.chainErr = res;
    } else {
      hs.result = res;
    }
    if (--hs.chainRemaining == 0) finish(h, hs.result < 0 ? hs.result : (hs.chainErr < 0 ? hs.chainErr : hs.result), true);
  } else {
    if (sl.op.kind == OpKind::Openat && sl.cancelRequested && res >= 0) {
      // The cancel lost the race: nobody will ever see this fd, so close it here.
      ::close(static_cast<int>(res));
      res = -ECANCELED;
    }
    finish(s, res, true);
  }
  if (!r.fifo.empty()) promote(r);
}

void Engine::finish(uint32_t s, int64_t res, bool report) {
  slots_.at(s).state = SlotState::Done;
  if (report) emit(s, res);
}

void Engine::emit(uint32_t s, int64_t res) {
  const Slot& sl = slots_.at(s);
  if (sl.job != nullptr && !sl.jobHead) return readManyMemberDone(s, res);
  if (collecting_ && outCount_ < kDeliverCapacity) {
    if (sl.jobHead) ++jobHeadsOut_;
    out_[2 * outCount_] = s;
    out_[2 * outCount_ + 1] = static_cast<double>(res);
    ++outCount_;
    delivered_.push_back(s);
  } else {
    ready_.emplace_back(s, res);
  }
}

uint32_t Engine::collect() {
  collecting_ = true;
  outCount_ = 0;
  if (!ready_.empty()) {
    size_t i = 0;
    for (; i < ready_.size() && outCount_ < kDeliverCapacity; ++i) {
      if (slots_.at(ready_[i].first).jobHead) ++jobHeadsOut_;
      out_[2 * outCount_] = ready_[i].first;
      out_[2 * outCount_ + 1] = static_cast<double>(ready_[i].second);
      ++outCount_;
      delivered_.push_back(ready_[i].first);
    }
    ready_.erase(ready_.begin(), ready_.begin() + static_cast<std::ptrdiff_t>(i));
  }
  uint64_t now = 0;
  if (shared_) {
    collectInbox(nowNs());
    collecting_ = false;
    return outCount_;
  }
  io_uring_cqe* cqes[256];
  for (auto& rp : rings_) {
    Ring& r = *rp;
    while (outCount_ < kDeliverCapacity) {
      unsigned want = std::min<unsigned>(256, kDeliverCapacity - outCount_);
      unsigned n = io_uring_peek_batch_cqe(r.u, cqes, want);
      if (n == 0) break;
      if (now == 0) now = nowNs();
      for (unsigned j = 0; j < n; ++j) {
        const uint64_t ud = cqes[j]->user_data;
        const int64_t res = cqes[j]->res;
        if (ud & kInternal) continue;
        const uint32_t s = static_cast<uint32_t>(ud & kSlotMask);
        if (s >= slots_.capacity()) continue;
        Slot& sl = slots_.at(s);
        if (sl.state != SlotState::InKernel || tagged(s, sl.gen) != ud) continue;
        complete(s, res, now);
      }
      io_uring_cq_advance(r.u, n);
      if (n < want) break;
    }
  }
  collecting_ = false;
  return outCount_;
}

bool Engine::reapShared(Ring& r, uint64_t now) {
  if (!r.sh->cqMu.try_lock()) return false;
  const uint32_t cap = slots_.capacity();
  io_uring_cqe* cqes[256];
  for (;;) {
    // Inside a collect the delivery buffer bounds us; outside one, results wait in ready_.
    const unsigned want = collecting_ ? std::min<unsigned>(256, kDeliverCapacity - outCount_) : 256;
    if (want == 0) break;
    const unsigned n = io_uring_peek_batch_cqe(r.u, cqes, want);
    for (unsigned j = 0; j < n; ++j) {
      const uint64_t ud = cqes[j]->user_data;
      if (ud & kInternal) continue;
      if ((ud & kEngineTagMask) != tag_) {
        foreign_.emplace_back(ud, cqes[j]->res);
        continue;
      }
      const uint32_t s = static_cast<uint32_t>(ud & kSlotMask);
      if (s >= cap) continue;
      Slot& sl = slots_.at(s);
      if (sl.state != SlotState::InKernel || tagged(s, sl.gen) != ud) continue;
      complete(s, cqes[j]->res, now);
    }
    io_uring_cq_advance(r.u, n);
    if (n < want) break;
  }
  r.sh->cqMu.unlock();
  return true;
}

void Engine::collectInbox(uint64_t now) {
  if (inboxPos_ >= inboxLocal_.size() && inbox_.nonEmpty.load(std::memory_order_acquire)) {
    // Swap, not copy: both vectors keep their capacity, so a steady stream allocates nothing.
    inboxLocal_.clear();
    inboxPos_ = 0;
    std::lock_guard<std::mutex> lk(inbox_.mu);
    inboxLocal_.swap(inbox_.items);
    inbox_.nonEmpty.store(false, std::memory_order_relaxed);
  }
  const uint32_t cap = slots_.capacity();
  while (inboxPos_ < inboxLocal_.size() && outCount_ < kDeliverCapacity) {
    const auto [ud, res] = inboxLocal_[inboxPos_++];
    const uint32_t s = static_cast<uint32_t>(ud & kSlotMask);
    if (s >= cap) continue;
    Slot& sl = slots_.at(s);
    if (sl.state != SlotState::InKernel || tagged(s, sl.gen) != ud) continue;
    complete(s, res, now);
  }
  // Reap the CQs ourselves: what completed inside our own enter (page-cache reads) is ours and goes to
  // our callbacks without a detour through the reaper and a wakeup of this loop. A CQ the reaper or
  // another env is reaping right now is skipped: they route our CQEs to the inbox.
  bool kick = false;
  for (auto& rp : rings_) {
    Ring& r = *rp;
    if (r.inflight != 0 && outCount_ < kDeliverCapacity) reapShared(r, now);
    // What is still in the CQ now (it was busy, or we were full, or it came after our look) may have
    // been posted unsignalled: the reaper takes it.
    if (r.leaveQuiet()) kick = true;
  }
  if (kick) group_->kick();
  if (!foreign_.empty()) {
    group_->route(foreign_);
    foreign_.clear();
  }
  for (auto& rp : rings_) rp->publishLoad();
}

void Engine::flushAll() {
  for (auto& r : rings_)
    if (r->pending != 0) r->flush();
}

void Engine::pump() {
  if (pumping_ || closed_) return;
  bool pending = !ready_.empty();
  for (auto& r : rings_) pending = pending || r->pending != 0 || r->inflight != 0 || !r->fifo.empty();
  if (!pending) {
    // Nothing of ours is outstanding; still drain internal CQEs (cancels) so the CQ never fills. (A
    // shared ring's CQ is the reaper's.)
    for (auto& r : rings_) {
      if (shared_) break;
      unsigned ready = io_uring_cq_ready(r->u);
      if (ready) io_uring_cq_advance(r->u, ready);
    }
    if (active_ == 0) host_->setActive(false);
    return;
  }
  pumping_ = true;
  // While the pump runs it reaps by itself: spare the kernel an eventfd signal (and epoll wakeup) per
  // enter. Re-enabled below before the loop can block.
  for (auto& r : rings_) r->setEventfdEnabled(false);
  rounds_ = 0;
  while (rounds_ < kMaxRounds && !closed_ && !(rounds_ > 0 && turnOver())) {
    jobReaped_ = 0;
    uint32_t n = openRound();
    if (n == 0) {
      // Only readMany members completed: their refills wait in the SQ for the next round.
      if (jobReaped_ == 0) break;
      continue;
    }
    // JS may run further rounds itself through nextRound() before it returns (one JS->native call per
    // round instead of one native->JS entry).
    host_->deliver(n);
    if (roundOpen_) closeRound();
    if (jobContinuationsPending()) break;
  }
  if (!closed_) flushAll();
  pumping_ = false;
  // The last flush of the pump may have gone out quiet: whatever sits in the CQ was maybe posted
  // unsignalled. Reap it now (ours wait in ready_ for the next pump, which the host triggers, see
  // below; others' are routed); a CQ that is busy, or fills again meanwhile, is the reaper's.
  if (shared_) {
    bool kick = false;
    for (auto& r : rings_) {
      if (!r->leaveQuiet()) continue;
      if (!reapShared(*r, nowNs()) || io_uring_cq_ready(r->u) != 0) kick = true;
    }
    if (!foreign_.empty()) {
      group_->route(foreign_);
      foreign_.clear();
    }
    if (kick) group_->kick();
    for (auto& r : rings_) r->publishLoad();
  }
  bool inKernel = false;
  if (!closed_) {
    for (auto& r : rings_) r->setEventfdEnabled(true);
    // CQEs posted while notifications were off signalled nobody. Whatever is left now (results in
    // ready_, CQEs in a private CQ, SQEs not yet entered, a shared inbox) is the host's to act on: it
    // checks hasImmediateWork() after this pump, after the fence, and runs another pass at once while
    // its turn lasts, or wakes the loop when it stops. (Waking here as well cost an eventfd write per
    // pass, then an epoll wakeup and an eventfd read for a pass that had already run: ~1.4 us per
    // readMany call of 8 reads, measured.)
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    for (auto& r : rings_) inKernel = inKernel || r->inflight != 0;
  }
  // An io-wq worker on another CPU can post a CQE and read the flag before our re-enable is visible to
  // it (store->load reordering on both sides): a slow timer bounds that rare miss instead of a hang.
  host_->backstop(inKernel && !shared_);
  if (active_ == 0) host_->setActive(false);
}

uint32_t Engine::openRound() {
  ++rounds_;
  jobHeadsOut_ = 0;
  jobsStarted_ = 0;
  for (auto& r : rings_)
    if (!r->fifo.empty()) promote(*r);
  flushAll();
  uint32_t n = collect();
  readManyRefillQueued();
  roundOpen_ = n != 0;
  return n;
}

void Engine::closeRound() {
  roundOpen_ = false;
  for (uint32_t s : delivered_) {
    for (int32_t c = slots_.at(s).next; c >= 0;) {
      int32_t nx = slots_.at(c).next;
      slots_.release(static_cast<uint32_t>(c));
      c = nx;
    }
    slots_.release(s);
  }
  active_ -= delivered_.size();
  delivered_.clear();
}

uint32_t Engine::nextRound() {
  if (!pumping_) return 0;
  if (roundOpen_) closeRound();
  if (closed_ || rounds_ >= kMaxRounds || turnOver() || jobContinuationsPending()) return 0;
  return openRound();
}

void Engine::fallbackDone(uint32_t s, int64_t result) {
  if (closed_) return;
  complete(s, result, nowNs());
}

void Engine::prepCancel(Ring& r, uint64_t ud) {
  io_uring_sqe* q = r.sqe();
  if (q == nullptr) return;  // best effort: the op still completes on its own
  // The target's user_data carries our engine tag, so on a shared ring only our op can match.
  io_uring_prep_cancel64(q, ud, 0);
  io_uring_sqe_set_data64(q, kInternal | tag_);
  r.pending += 1;
}

void Engine::cancelSlot(uint32_t s) {
  Slot& sl = slots_.at(s);
  Ring& r = *rings_[sl.ring];
  switch (sl.state) {
    case SlotState::Queued: {
      r.queuedOps -= sl.chainRemaining;
      r.ctr[kQueued] = r.queuedOps;
      r.ctr[kCancels] += 1;
      for (int32_t c = sl.next; c >= 0; c = slots_.at(c).next) slots_.at(c).state = SlotState::Done;
      finish(s, -ECANCELED, true);
      break;
    }
    case SlotState::InKernel: {
      if (sl.cancelRequested) return;
      sl.cancelRequested = true;
      r.ctr[kCancels] += 1;
      for (int32_t c = static_cast<int32_t>(s); c >= 0; c = slots_.at(c).next) {
        Slot& x = slots_.at(c);
        if (x.state == SlotState::InKernel) prepCancel(r, tagged(static_cast<uint32_t>(c), x.gen));
      }
      break;
    }
    case SlotState::Fallback: {
      if (sl.cancelRequested) return;
      sl.cancelRequested = true;
      r.ctr[kCancels] += 1;
      host_->cancelFallback(s);
      break;
    }
    case SlotState::Batch:
      readManyCancel(*sl.job);
      break;
    default:
      break;
  }
}

void Engine::cancel(double id) {
  if (closed_ || !(id >= 0) || id >= 9007199254740992.0) return;
  const uint64_t v = static_cast<uint64_t>(id);
  const uint32_t s = static_cast<uint32_t>(v % kMaxSlots);
  const uint64_t gen = v / kMaxSlots;
  if (s >= slots_.capacity()) return;
  Slot& sl = slots_.at(s);
  if (sl.gen != gen || sl.member) return;
  cancelSlot(s);
}

void Engine::cancelAll() {
  if (closed_) return;
  const uint32_t cap = slots_.capacity();
  for (uint32_t s = 0; s < cap; ++s) {
    Slot& sl = slots_.at(s);
    if (!sl.member && (sl.state == SlotState::Queued || sl.state == SlotState::InKernel || sl.state == SlotState::Fallback ||
                           sl.state == SlotState::Batch))
      cancelSlot(s);
  }
}

void Engine::setLimit(unsigned ring, uint32_t limit) {
  if (closed_ || ring >= rings_.size()) return;
  Ring& r = *rings_[ring];
  r.limit = limit;
  r.ctr[kLimit] = limit;
  promote(r);
}

void Engine::destroy(int waitMs) {
  if (closed_) return;
  if (shared_) return destroyShared(waitMs);
  closed_ = true;
  const uint32_t cap = slots_.capacity();
  // Only SQE-backed ops are waited for: thread-pool requests are the host's to wait for.
  std::vector<uint32_t> inKernel(rings_.size(), 0);
  for (uint32_t s = 0; s < cap; ++s) {
    Slot& sl = slots_.at(s);
    if (sl.state == SlotState::InKernel) {
      prepCancel(*rings_[sl.ring], tagged(s, sl.gen));
      ++inKernel[sl.ring];
    }
  }
  flushAll();
  // Wait for the kernel to let go of every buffer before the ring (and maybe the JS heap) goes away.
  const uint64_t deadline = nowNs() + static_cast<uint64_t>(waitMs) * 1000000ull;
  for (size_t ri = 0; ri < rings_.size(); ++ri) {
    Ring& r = *rings_[ri];
    while (inKernel[ri] > 0) {
      uint64_t now = nowNs();
      if (now >= deadline) break;
      uint64_t left = deadline - now;
      __kernel_timespec ts{static_cast<long long>(left / 1000000000ull), static_cast<long long>(left % 1000000000ull)};
      io_uring_cqe* cqe = nullptr;
      if (io_uring_wait_cqe_timeout(r.u, &cqe, &ts) < 0) break;
      unsigned head;
      unsigned n = 0;
      io_uring_for_each_cqe(r.u, head, cqe) {
        ++n;
        const uint64_t ud = cqe->user_data;
        if (ud & kInternal) continue;
        const uint32_t s = static_cast<uint32_t>(ud & kSlotMask);
        if (s >= cap) continue;
        Slot& sl = slots_.at(s);
        if (sl.state != SlotState::InKernel || tagged(s, sl.gen) != ud) continue;
        sl.state = SlotState::Done;
        if (sl.op.kind == OpKind::Openat && cqe->res >= 0) ::close(cqe->res);
        r.inflight -= 1;
        --inKernel[ri];
      }
      io_uring_cq_advance(r.u, n);
    }
  }
  for (auto& r : rings_) r->exit();
  ready_.clear();
}

void Engine::destroyShared(int waitMs) {
  closed_ = true;
  const uint32_t cap = slots_.capacity();
  uint32_t inKernel = 0;
  for (uint32_t s = 0; s < cap; ++s) {
    Slot& sl = slots_.at(s);
    if (sl.state == SlotState::InKernel) {
      prepCancel(*rings_[sl.ring], tagged(s, sl.gen));
      ++inKernel;
    }
  }
  flushAll();
  // The reaper keeps routing while we wait here (other envs keep using the rings): wait on the inbox
  // until each of our in-kernel ops has its CQE, or the bound passes.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(waitMs);
  auto settle = [&](uint64_t ud, int64_t res) {
    const uint32_t s = static_cast<uint32_t>(ud & kSlotMask);
    if (s >= cap) return;
    Slot& sl = slots_.at(s);
    if (sl.state != SlotState::InKernel || tagged(s, sl.gen) != ud) return;
    sl.state = SlotState::Done;
    if (sl.op.kind == OpKind::Openat && res >= 0) ::close(static_cast<int>(res));
    Ring& r = *rings_[sl.ring];
    r.inflight -= 1;
    r.shDelta -= 1;
    --inKernel;
  };
  while (inboxPos_ < inboxLocal_.size()) {
    const auto item = inboxLocal_[inboxPos_++];
    settle(item.first, item.second);
  }
  std::vector<std::pair<uint64_t, int64_t>> got;
  while (inKernel > 0) {
    {
      std::unique_lock<std::mutex> lk(inbox_.mu);
      if (!inbox_.cv.wait_until(lk, deadline, [this] { return !inbox_.items.empty(); })) break;
      got.swap(inbox_.items);
      inbox_.nonEmpty.store(false, std::memory_order_relaxed);
    }
    for (auto& item : got) settle(item.first, item.second);
    got.clear();
  }
  // Ops that outlived the bound may still make the kernel read their paths and iovecs: the group keeps
  // the slot table until its rings exit. (Their JS buffers are the env's; see docs/design/threading.md.)
  for (auto& rp : rings_) rp->publishLoad();
  std::unique_ptr<SlotTable> leftovers;
  if (inKernel > 0) leftovers = std::make_unique<SlotTable>(std::move(slots_));
  RingGroup::detach(group_, groupIndex_, std::move(leftovers));
  group_ = nullptr;
  ready_.clear();
}

}  // namespace auraio

namespace auraio {

int Engine::registerBuffers(const std::vector<iovec>& iov) {
  if (closed_) return -EBADF;
  // Buffer tables are per ring, and a shared ring's table would be every attached engine's.
  if (shared_) return -EOPNOTSUPP;
  unregisterBuffers();
  for (size_t i = 0; i < rings_.size(); ++i) {
    int r = io_uring_register_buffers(rings_[i]->u, iov.data(), static_cast<unsigned>(iov.size()));
    if (r < 0) {
      for (size_t j = 0; j < i; ++j) io_uring_unregister_buffers(rings_[j]->u);
      return r;
    }
  }
  buffersRegistered_ = true;
  return 0;
}

int Engine::unregisterBuffers() {
  if (!buffersRegistered_ || closed_) return 0;
  int res = 0;
  for (auto& r : rings_) {
    int e = io_uring_unregister_buffers(r->u);
    if (e < 0) res = e;
  }
  buffersRegistered_ = false;
  return res;
}

}  // namespace auraio
