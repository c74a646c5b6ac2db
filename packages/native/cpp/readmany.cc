// readMany jobs (readmany.h). A job's member reads are ordinary slots: they go through routing, the ring
// limits and FIFOs, the thread-pool fallback and the counters like any read. Only their completions
// differ: emit() hands them here instead of to JS, the result goes into the job's results column, the
// slot is recycled at once (JS never saw it) and the next request takes its place in the window. So a
// batch of N reads costs JS one native call and one callback, and a completion round refills the SQ
// before the pump's next io_uring_enter.
#include <cerrno>

#include "engine.h"

namespace auraio {

ReadManyJob* Engine::takeReadManyJob() {
  if (freeJobs_.empty()) {
    jobs_.push_back(std::make_unique<ReadManyJob>());
    return jobs_.back().get();
  }
  ReadManyJob* j = freeJobs_.back();
  freeJobs_.pop_back();
  return j;
}

double Engine::startReadMany(ReadManyJob* j) {
  const int64_t h = slots_.alloc();
  if (h < 0) {
    freeJobs_.push_back(j);
    return -2;
  }
  Slot& hs = slots_.at(static_cast<uint32_t>(h));
  hs.state = SlotState::Batch;
  hs.job = j;
  hs.jobHead = true;
  j->head = static_cast<uint32_t>(h);
  ++jobsStarted_;
  j->next = 0;
  j->inflight = 0;
  j->stopping = false;
  j->cancelling = false;
  j->live = true;
  j->refillQueued = false;
  j->code = kReadManyDone;
  if (j->window == 0) j->window = 1;
  if (j->slotOf.size() < j->count) j->slotOf.resize(j->count);
  activeInc();
  beginBatch();
  readManyRefill(*j);
  endBatch();
  const double id = SlotTable::idOf(static_cast<uint32_t>(h), hs.gen);
  // Nothing went out (no requests, or no slot): the head completes with the next pump.
  if (j->inflight == 0) readManyFinish(*j);
  return id;
}

void Engine::readManyRefill(ReadManyJob& j) {
  const uint32_t nBases = static_cast<uint32_t>(j.bases.size());
  while (!j.stopping && !closed_ && j.next < j.count && j.inflight < j.window) {
    const int64_t s = slots_.alloc();
    if (s < 0) {
      j.stopping = true;
      if (j.code == kReadManyDone) j.code = kReadManyNoSlot;
      return;
    }
    const uint32_t i = j.next++;
    const uint32_t slot = static_cast<uint32_t>(s);
    Slot& sl = slots_.at(slot);
    sl.job = &j;
    sl.jobIndex = i;
    OpDesc& op = sl.op;
    op.kind = OpKind::Read;
    op.fd = j.fd[i];
    const uint32_t b = static_cast<uint32_t>(j.base[i]);
    // TS checked every index; a stray one reads nowhere rather than somewhere.
    op.addr = b < nBases ? j.bases[b] + static_cast<size_t>(j.off[i]) : nullptr;
    op.len = static_cast<uint64_t>(j.len[i] < 0 ? 0 : j.len[i]);
    op.off = j.pos[i] < 0 ? UINT64_MAX : static_cast<uint64_t>(j.pos[i]);
    j.slotOf[i] = static_cast<int32_t>(slot);
    ++j.inflight;
    start(slot);
  }
}

void Engine::readManyMemberDone(uint32_t s, int64_t res) {
  Slot& sl = slots_.at(s);
  ReadManyJob& j = *sl.job;
  const uint32_t i = sl.jobIndex;
  j.results[i] = static_cast<int32_t>(res);
  j.slotOf[i] = -1;
  --j.inflight;
  // JS never saw this slot: recycle it now rather than after the delivery round.
  slots_.release(s);
  --active_;
  ++jobReaped_;
  if (res < 0 && !j.stopping && (j.failFast || res == -ECANCELED)) {
    // Fail-fast: the first error stops the job. A cancelled member means the job, cancelAll or close
    // cancelled it (nobody else knows member ids): stop too.
    j.stopping = true;
    j.code = res == -ECANCELED ? kReadManyStopped : static_cast<double>(i);
    readManySweep(j);
  }
  if (j.cancelling) return;  // the sweep in progress finishes the job
  if (j.inflight == 0 && (j.stopping || j.next == j.count)) return readManyFinish(j);
  if (j.stopping || j.next == j.count) return;
  if (collecting_) {
    // Inside a reap: refill once it is over, every job's new reads stamped with one clock read.
    if (!j.refillQueued) {
      j.refillQueued = true;
      refillQueue_.push_back(&j);
    }
    return;
  }
  readManyRefill(j);  // a thread-pool completion, outside any reap
  if (j.inflight == 0) readManyFinish(j);  // nothing could be submitted (no slot)
}

void Engine::readManyRefillQueued() {
  if (refillQueue_.empty()) return;
  beginBatch();
  for (size_t k = 0; k < refillQueue_.size(); ++k) {
    ReadManyJob& j = *refillQueue_[k];
    j.refillQueued = false;
    if (!j.live) continue;
    readManyRefill(j);
    if (j.inflight == 0) readManyFinish(j);  // stopped before it could submit anything more
  }
  endBatch();
  refillQueue_.clear();
}

void Engine::readManySweep(ReadManyJob& j) {
  if (j.cancelling) return;
  j.cancelling = true;
  // Members cancelled from the limit FIFO complete right here (re-entering readManyMemberDone); those in
  // the kernel or the thread pool complete later, with -ECANCELED or their real result.
  for (uint32_t i = 0; i < j.next; ++i)
    if (j.slotOf[i] >= 0) cancelSlot(static_cast<uint32_t>(j.slotOf[i]));
  j.cancelling = false;
}

void Engine::readManyCancel(ReadManyJob& j) {
  if (!j.stopping) {
    j.stopping = true;
    if (j.code == kReadManyDone && (j.next < j.count || j.inflight > 0)) j.code = kReadManyStopped;
  }
  readManySweep(j);
  if (j.inflight == 0 && !j.cancelling) readManyFinish(j);
}

void Engine::readManyFinish(ReadManyJob& j) {
  // Requests never submitted get -ECANCELED, so every result is defined when JS looks.
  for (uint32_t i = j.next; i < j.count; ++i) j.results[i] = -ECANCELED;
  const uint32_t h = j.head;
  j.stopping = true;
  j.live = false;
  // A huge job's request->slot map is not kept for the next one (64 Ki requests: 256 KiB).
  if (j.slotOf.capacity() > (1u << 16)) std::vector<int32_t>().swap(j.slotOf);
  freeJobs_.push_back(&j);
  finish(h, static_cast<int64_t>(j.code), true);
}

}  // namespace auraio
