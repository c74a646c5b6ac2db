#include "host.h"

#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace auraio {

std::atomic<int64_t> gLiveHosts{0};
std::atomic<int64_t> gLiveBlocks{0};

SharedBlock* SharedBlock::make(size_t count) {
  gLiveBlocks.fetch_add(1, std::memory_order_relaxed);
  auto* b = new SharedBlock();
  b->count = count;
  const size_t bytes = (count == 0 ? 1 : count) * sizeof(double);
  // Large blocks (the 64 KiB delivery pairs) get their own mapping: malloc would keep freed ones in its
  // heap, so a process that churns engines would hold RSS it no longer uses.
  if (bytes >= kMapThreshold) {
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p != MAP_FAILED) {
      b->data = static_cast<double*>(p);
      b->mapped = bytes;
      return b;
    }
  }
  b->data = static_cast<double*>(std::calloc(count == 0 ? 1 : count, sizeof(double)));
  return b;
}

void SharedBlock::unref() {
  if (refs.fetch_sub(1) == 1) {
    if (mapped != 0)
      ::munmap(data, mapped);
    else
      std::free(data);
    gLiveBlocks.fetch_sub(1, std::memory_order_relaxed);
    delete this;
  }
}

namespace {
struct FallbackWork {
  uv_work_t req;
  Host* host;
  Engine* engine;
  uint32_t slot;
  int64_t result;
};
}  // namespace

Host::Host(napi_env env, uv_loop_t* loop) : env_(env), loop_(loop) { gLiveHosts.fetch_add(1, std::memory_order_relaxed); }

Host::~Host() {
  gLiveHosts.fetch_sub(1, std::memory_order_relaxed);
  delete orphan_;
  if (counters) counters->unref();
  if (hist) hist->unref();
  if (pairs) pairs->unref();
}

int Host::open(const EngineOptions& opts, napi_value dispatch, const char** stage) {
  EngineOptions o = opts;
  if (o.shared) o.rings = RingGroup::ringsFor(o.rings);
  counters = SharedBlock::make(static_cast<size_t>(o.rings) * kCounterStride);
  hist = SharedBlock::make(static_cast<size_t>(o.rings) * kLatencyBuckets);
  pairs = SharedBlock::make(2 * kDeliverCapacity);
  eventfd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (eventfd_ < 0) {
    *stage = "eventfd";
    return -errno;
  }
  engine_ = std::make_unique<Engine>(this, counters->data, hist->data, pairs->data);
  int r = engine_->init(o, eventfd_, stage);
  if (r < 0) {
    engine_.reset();
    ::close(eventfd_);
    eventfd_ = -1;
    return r;
  }
  napi_create_reference(env_, dispatch, 1, &dispatch_);
  napi_value resource, name;
  napi_create_object(env_, &resource);
  napi_create_reference(env_, resource, 1, &resource_);
  napi_create_string_utf8(env_, "AuraIO", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env_, resource, name, &asyncCtx_);

  uv_poll_init(loop_, &poll_, eventfd_);
  poll_.data = this;
  uv_poll_start(&poll_, UV_READABLE, onPoll);
  uv_unref(reinterpret_cast<uv_handle_t*>(&poll_));
  uv_prepare_init(loop_, &prepare_);
  prepare_.data = this;
  uv_prepare_start(&prepare_, onPrepare);
  uv_unref(reinterpret_cast<uv_handle_t*>(&prepare_));
  uv_timer_init(loop_, &backstop_);
  backstop_.data = this;
  uv_unref(reinterpret_cast<uv_handle_t*>(&backstop_));
  handlesLive_ = true;
  napi_add_async_cleanup_hook(env_, onAsyncCleanup, this, &hook_);
  return 0;
}

void Host::deliver(uint32_t n) {
  // Inside the callback scope opened by pump(): a plain call, no per-batch async-context bookkeeping.
  napi_value arg, result;
  napi_create_uint32(env_, n, &arg);
  napi_status st = napi_call_function(env_, recv_, fn_, 1, &arg, &result);
  if (st == napi_pending_exception) {
    // The TS dispatcher catches callback errors itself; this only happens on a bug there. Report it as an
    // uncaught exception instead of losing it.
    napi_value err;
    napi_get_and_clear_last_exception(env_, &err);
    napi_fatal_exception(env_, err);
  }
}

void Host::pump() {
  if (closed_ || !engine_) return;
  if (!engine_->hasWork()) {
    engine_->pump();  // only housekeeping: never calls JS
    return;
  }
  napi_handle_scope hs;
  napi_open_handle_scope(env_, &hs);
  inPump_ = true;
  napi_get_reference_value(env_, dispatch_, &fn_);
  napi_get_reference_value(env_, resource_, &recv_);
  // One callback scope per pass: microtasks and nextTicks run when it closes, as after a MakeCallback.
  // Promise continuations may submit more ops there, so run another pass while work remains.
  engine_->beginTurn();
  for (int pass = 0; pass < 8 && !closed_ && !destroyPending_ && !(pass > 0 && engine_->turnOver()); ++pass) {
    napi_callback_scope cs;
    napi_open_callback_scope(env_, recv_, asyncCtx_, &cs);
    engine_->pump();
    napi_close_callback_scope(env_, cs);
    if (!engine_->hasImmediateWork()) break;
  }
  // Work left after the last pass (ops its microtasks submitted and nobody entered yet, CQEs posted while
  // the engine had the eventfd signal off): without a signal the loop could block in poll with nothing
  // to wake it (a sequential read chain stalled every 8 ops). This is the only wake for it: the engine's
  // pump leaves it to us, so a turn that keeps finding work costs no eventfd write per pass.
  if (!closed_ && !destroyPending_ && engine_->hasImmediateWork()) wake();
  inPump_ = false;
  napi_close_handle_scope(env_, hs);
  if (destroyPending_) {
    destroyPending_ = false;
    teardown();
  }
}

void Host::onPoll(uv_poll_t* h, int status, int) {
  auto* self = static_cast<Host*>(h->data);
  if (status < 0 || self->closed_) return;
  uint64_t v;
  while (::read(self->eventfd_, &v, sizeof(v)) == sizeof(v)) {
  }
  self->pump();
}

void Host::onPrepare(uv_prepare_t* h) { static_cast<Host*>(h->data)->pump(); }

constexpr uint64_t kBackstopMs = 20;

void Host::onBackstop(uv_timer_t* h) {
  auto* self = static_cast<Host*>(h->data);
  self->backstopArmed_ = false;
  self->pump();
}

void Host::backstop(bool armed) {
  if (!handlesLive_ || armed == backstopArmed_) return;
  backstopArmed_ = armed;
  // Armed once and left running: a busy engine pays one timer callback per 20 ms, not one per pump.
  if (armed)
    uv_timer_start(&backstop_, onBackstop, kBackstopMs, 0);
  else
    uv_timer_stop(&backstop_);
}

void Host::setActive(bool active) {
  if (active == active_ || !handlesLive_) return;
  active_ = active;
  if (active)
    uv_ref(reinterpret_cast<uv_handle_t*>(&poll_));
  else
    uv_unref(reinterpret_cast<uv_handle_t*>(&poll_));
}

void Host::wake() {
  if (eventfd_ >= 0) {
    uint64_t one = 1;
    (void)!::write(eventfd_, &one, sizeof(one));
  }
}

void Host::runFallback(uint32_t slot) {
  auto* w = new FallbackWork{};
  w->host = this;
  w->engine = engine_.get();
  w->slot = slot;
  w->req.data = w;
  ++fallbacks_;
  uv_queue_work(
      loop_, &w->req,
      [](uv_work_t* req) {
        auto* fw = static_cast<FallbackWork*>(req->data);
        fw->result = runSync(fw->engine->opOf(fw->slot));
      },
      [](uv_work_t* req, int status) {
        auto* fw = static_cast<FallbackWork*>(req->data);
        Host* self = fw->host;
        --self->fallbacks_;
        if (!self->closed_ && self->engine_) {
          self->engine_->fallbackDone(fw->slot, status == UV_ECANCELED ? -ECANCELED : fw->result);
          delete fw;
          self->pump();
        } else {
          delete fw;
          if (self->fallbacks_ == 0 && self->orphan_ != nullptr) {
            delete self->orphan_;  // no pool thread reads its slots any more
            self->orphan_ = nullptr;
          }
          self->maybeFinishCleanup();
        }
      });
  // Remembered so a cancel can withdraw the request while it still waits in the pool's queue.
  engine_->slot(slot).work = w;
}

bool Host::cancelFallback(uint32_t slot) {
  auto* w = static_cast<FallbackWork*>(engine_->slot(slot).work);
  return w != nullptr && uv_cancel(reinterpret_cast<uv_req_t*>(&w->req)) == 0;
}

void Host::requestDestroy() {
  if (closed_) return;
  // A close() from a callback or a microtask of this pump: finish the pump first.
  if (inPump_ || (engine_ && engine_->pumping()))
    destroyPending_ = true;
  else
    teardown();
}

void Host::teardown() {
  if (closed_) return;
  closed_ = true;
  if (engine_) {
    engine_->cancelAll();  // withdraws thread-pool requests that have not started
    engine_->destroy(2000);
  }
  // Thread-pool requests still read their slot: keep the engine's memory until the process ends.
  if (fallbacks_ == 0)
    engine_.reset();
  else
    orphan_ = engine_.release();
  if (dispatch_) napi_delete_reference(env_, dispatch_);
  if (resource_) napi_delete_reference(env_, resource_);
  if (asyncCtx_) napi_async_destroy(env_, asyncCtx_);
  dispatch_ = resource_ = nullptr;
  asyncCtx_ = nullptr;
  if (hook_ && !inCleanupHook_) {
    napi_remove_async_cleanup_hook(hook_);
    hook_ = nullptr;
  }
  if (handlesLive_) {
    handlesLive_ = false;
    closing_ = 3;
    uv_poll_stop(&poll_);
    uv_close(reinterpret_cast<uv_handle_t*>(&poll_), onClose);
    uv_close(reinterpret_cast<uv_handle_t*>(&prepare_), onClose);
    uv_close(reinterpret_cast<uv_handle_t*>(&backstop_), onClose);
  }
}

void Host::onClose(uv_handle_t* h) {
  auto* self = static_cast<Host*>(h->data);
  if (--self->closing_ != 0) return;
  if (self->eventfd_ >= 0) ::close(self->eventfd_);
  self->eventfd_ = -1;
  self->maybeFinishCleanup();
}

void Host::maybeFinishCleanup() {
  // Teardown is complete once no handle is closing and no thread-pool request can still call back into
  // this Host (when the env is going away, Node keeps the loop running until then). The native side then
  // lets go; the Host itself lives on while a JS function still carries it (closed() answers true).
  if (!closed_ || closing_ != 0 || fallbacks_ != 0 || nativeReleased_) return;
  nativeReleased_ = true;
  napi_async_cleanup_hook_handle hook = runningHook_;
  runningHook_ = nullptr;
  release();
  if (hook != nullptr) napi_remove_async_cleanup_hook(hook);
}

void Host::onAsyncCleanup(napi_async_cleanup_hook_handle handle, void* arg) {
  auto* self = static_cast<Host*>(arg);
  self->inCleanupHook_ = true;
  self->runningHook_ = handle;
  self->hook_ = nullptr;
  if (!self->closed_) self->teardown();
  self->maybeFinishCleanup();
}

}  // namespace auraio
