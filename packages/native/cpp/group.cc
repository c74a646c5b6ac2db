#include "group.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "slots.h"

namespace auraio {

namespace {
std::mutex gGroupMu;
RingGroup* gGroup = nullptr;
constexpr uint64_t kInternalBit = uint64_t{1} << kSlotBits;
}  // namespace

RingGroup* RingGroup::attach(unsigned rings, const RingOptions& o, Inbox* inbox, uint32_t* index, int* err) {
  std::lock_guard<std::mutex> g(gGroupMu);
  if (gGroup == nullptr) {
    auto* fresh = new RingGroup();
    int r = fresh->init(rings, o);
    if (r < 0) {
      delete fresh;
      *err = r;
      return nullptr;
    }
    gGroup = fresh;
  }
  RingGroup* grp = gGroup;
  std::lock_guard<std::mutex> rl(grp->routeMu_);
  if (grp->attached_ >= kMaxAttached) {
    *err = -EMFILE;
    return nullptr;
  }
  // Round robin: an index is reused as late as possible, so a CQE of a departed engine that its
  // bounded wait gave up on can never be mistaken for a newcomer's.
  uint32_t i = grp->nextIndex_;
  while (grp->engines_[i] != nullptr) i = (i + 1) % kMaxAttached;
  grp->nextIndex_ = (i + 1) % kMaxAttached;
  grp->engines_[i] = inbox;
  ++grp->attached_;
  *index = i;
  return grp;
}

void RingGroup::detach(RingGroup* grp, uint32_t index, std::unique_ptr<SlotTable> leftovers) {
  std::lock_guard<std::mutex> g(gGroupMu);
  bool last;
  {
    std::lock_guard<std::mutex> rl(grp->routeMu_);
    grp->engines_[index] = nullptr;
    last = --grp->attached_ == 0;
    if (leftovers) grp->leftovers_.push_back(std::move(leftovers));
  }
  if (last) {
    gGroup = nullptr;
    delete grp;
  }
}

unsigned RingGroup::ringsFor(unsigned wanted) {
  std::lock_guard<std::mutex> g(gGroupMu);
  return gGroup != nullptr ? gGroup->ringCount() : wanted;
}

void RingGroup::info(int64_t* groups, int64_t* rings, int64_t* engines) {
  std::lock_guard<std::mutex> g(gGroupMu);
  *groups = gGroup != nullptr ? 1 : 0;
  *rings = gGroup != nullptr ? gGroup->ringCount() : 0;
  *engines = gGroup != nullptr ? gGroup->attached_ : 0;
}

int RingGroup::init(unsigned rings, const RingOptions& o) {
  eventfd_ = ::eventfd(0, EFD_CLOEXEC);  // blocking: the reaper sleeps in read()
  if (eventfd_ < 0) return -errno;
  for (unsigned i = 0; i < rings; ++i) {
    auto sr = std::make_unique<SharedRing>();
    io_uring_params p;
    std::memset(&p, 0, sizeof(p));
    // Same setup as a private ring, except: no registered ring fd (that index is valid only in the
    // registering thread, and every env thread enters these rings) and no SQPOLL.
    p.flags = IORING_SETUP_SUBMIT_ALL | IORING_SETUP_CQSIZE;
    p.cq_entries = o.entries * 4;
    int r = io_uring_queue_init_params(o.entries, &sr->ring, &p);
    if (r == -EINVAL) {
      p.flags &= ~IORING_SETUP_SUBMIT_ALL;
      r = io_uring_queue_init_params(o.entries, &sr->ring, &p);
    }
    if (r < 0) return r;
    sr->live = true;
    if (o.iowqBounded != 0 || o.iowqUnbounded != 0) {
      unsigned vals[2] = {o.iowqBounded, o.iowqUnbounded};
      io_uring_register_iowq_max_workers(&sr->ring, vals);
    }
    r = io_uring_register_eventfd(&sr->ring, eventfd_);
    rings_.push_back(std::move(sr));
    if (r < 0) return r;
  }
  try {
    reaper_ = std::thread([this] { reap(); });
  } catch (...) {
    return -EAGAIN;  // no thread for the reaper: report it like any other setup failure
  }
  return 0;
}

RingGroup::~RingGroup() {
  if (reaper_.joinable()) {
    stop_.store(true);
    uint64_t one = 1;
    (void)!::write(eventfd_, &one, sizeof(one));
    reaper_.join();
  }
  // Exiting a ring makes the kernel cancel and wait for whatever is still in it; only then may the
  // slot memory of engines that gave up waiting go.
  for (auto& r : rings_)
    if (r->live) io_uring_queue_exit(&r->ring);
  leftovers_.clear();
  if (eventfd_ >= 0) ::close(eventfd_);
}

void RingGroup::reap() {
  io_uring_cqe* cqes[256];
  std::vector<std::pair<uint64_t, int64_t>> batch;
  batch.reserve(1024);
  while (!stop_.load(std::memory_order_relaxed)) {
    // While ops are in the rings, wake at least every 20 ms: a CQE posted just as the last quiet env
    // re-enabled the signal can miss both the signal and that env's look at the CQ (store->load
    // reordering between the kernel and us), as on private rings (docs/design/threading.md).
    bool busy = false;
    for (auto& rp : rings_) busy = busy || rp->inflight.load(std::memory_order_relaxed) > 0;
    pollfd pfd{eventfd_, POLLIN, 0};
    int pr = ::poll(&pfd, 1, busy ? 20 : -1);
    if (pr < 0 && errno != EINTR) break;
    if (pr > 0) {
      uint64_t v;
      (void)!::read(eventfd_, &v, sizeof(v));
    }
    if (stop_.load()) break;
    // The counter may cover many CQEs (and CQEs posted after it was read signal again): reap until
    // every ring is empty, then route the batch.
    batch.clear();
    for (;;) {
      bool any = false;
      for (auto& rp : rings_) {
        std::lock_guard<std::mutex> cq(rp->cqMu);
        unsigned n = io_uring_peek_batch_cqe(&rp->ring, cqes, 256);
        if (n == 0) continue;
        any = true;
        for (unsigned j = 0; j < n; ++j) {
          const uint64_t ud = cqes[j]->user_data;
          if ((ud & kInternalBit) == 0) batch.emplace_back(ud, cqes[j]->res);
        }
        io_uring_cq_advance(&rp->ring, n);
      }
      if (!any || batch.size() >= 4096) break;
    }
    if (!batch.empty()) route(batch);
  }
}

void RingGroup::kick() {
  uint64_t one = 1;
  (void)!::write(eventfd_, &one, sizeof(one));
}

void RingGroup::route(std::vector<std::pair<uint64_t, int64_t>>& batch) {
  // Group by engine so each inbox is locked and each env woken once per batch.
  std::stable_sort(batch.begin(), batch.end(),
                   [](const auto& a, const auto& b) { return (a.first & kEngineTagMask) < (b.first & kEngineTagMask); });
  std::lock_guard<std::mutex> rl(routeMu_);
  size_t i = 0;
  while (i < batch.size()) {
    const uint64_t tag = batch[i].first & kEngineTagMask;
    size_t j = i;
    while (j < batch.size() && (batch[j].first & kEngineTagMask) == tag) ++j;
    Inbox* in = engines_[tag >> kEngineTagShift];
    // A CQE whose engine has left (it gave up waiting, or a cancelled op of a terminated worker) has
    // nobody to go to: drop it. Its memory is in leftovers_ until the rings exit.
    if (in != nullptr) {
      {
        std::lock_guard<std::mutex> il(in->mu);
        in->items.insert(in->items.end(), batch.begin() + static_cast<std::ptrdiff_t>(i),
                         batch.begin() + static_cast<std::ptrdiff_t>(j));
        in->nonEmpty.store(true, std::memory_order_release);
      }
      in->cv.notify_all();
      uint64_t one = 1;
      (void)!::write(in->wakeFd, &one, sizeof(one));
    }
    i = j;
  }
}

}  // namespace auraio
