// Binds one Engine to one Node environment: the eventfd watched by a uv_poll_t, a uv_prepare_t that flushes
// before the loop blocks, batch delivery into JS, thread-pool fallbacks and teardown. Everything here runs
// on the env's loop thread except FallbackWork::run (a libuv pool thread, touching only the op's memory).
#pragma once
#include <node_api.h>
#include <uv.h>

#include <atomic>
#include <memory>

#include "engine.h"

namespace auraio {

// A native memory block shared by JS (external ArrayBuffers) and the engine; freed by the last holder.
// Live native objects of every env in the process; read by tests (`liveObjects()`) to prove reclamation.
extern std::atomic<int64_t> gLiveHosts;
extern std::atomic<int64_t> gLiveBlocks;

struct SharedBlock {
  std::atomic<int> refs{1};
  double* data = nullptr;
  size_t count = 0;
  size_t mapped = 0;  // bytes of an mmap'd block (0: malloc'd)
  static constexpr size_t kMapThreshold = 16384;
  static SharedBlock* make(size_t count);
  void unref();
};

class Host final : public EngineHost {
 public:
  Host(napi_env env, uv_loop_t* loop);
  ~Host() override;

  // Returns 0 or -errno with *stage set.
  int open(const EngineOptions& o, napi_value dispatch, const char** stage);

  void deliver(uint32_t pairs) override;
  void runFallback(uint32_t slot) override;
  bool cancelFallback(uint32_t slot) override;
  void setActive(bool active) override;
  void wake() override;
  void backstop(bool armed) override;

  uint32_t nextRound() {
    if (closed_ || destroyPending_ || !inPump_ || !engine_) return 0;
    return engine_->nextRound();
  }

  // JS asked to close: tear down now, or right after the current delivery returns.
  void requestDestroy();

  // Lifetime: one reference for the native side (dropped once teardown is complete: handles closed, no
  // thread-pool request left) and one per JS function that carries this Host as its data (dropped by
  // that function's finalizer, so a function a caller still holds never reaches freed memory).
  void retain() { ++refs_; }
  void release() {
    if (--refs_ == 0) delete this;
  }

  Engine* engine() { return engine_.get(); }
  bool closed() const { return closed_; }
  SharedBlock* counters = nullptr;
  SharedBlock* hist = nullptr;
  SharedBlock* pairs = nullptr;

 private:
  static void onPoll(uv_poll_t* h, int status, int events);
  static void onPrepare(uv_prepare_t* h);
  static void onBackstop(uv_timer_t* h);
  static void onClose(uv_handle_t* h);
  static void onAsyncCleanup(napi_async_cleanup_hook_handle handle, void* arg);
  void pump();
  void teardown();
  void maybeFinishCleanup();
  int refs_ = 1;
  bool nativeReleased_ = false;

  napi_env env_;
  uv_loop_t* loop_;
  std::unique_ptr<Engine> engine_;
  int eventfd_ = -1;
  uv_poll_t poll_{};
  uv_prepare_t prepare_{};
  uv_timer_t backstop_{};
  bool backstopArmed_ = false;
  bool handlesLive_ = false;
  int closing_ = 0;
  bool active_ = false;
  bool closed_ = false;
  bool destroyPending_ = false;
  bool inPump_ = false;
  bool inCleanupHook_ = false;
  uint32_t fallbacks_ = 0;
  Engine* orphan_ = nullptr;  // engine whose thread-pool requests are still running after teardown
  napi_ref dispatch_ = nullptr;
  napi_value fn_ = nullptr;    // valid during pump()
  napi_value recv_ = nullptr;
  napi_ref resource_ = nullptr;
  napi_async_context asyncCtx_ = nullptr;
  napi_async_cleanup_hook_handle hook_ = nullptr;
  napi_async_cleanup_hook_handle runningHook_ = nullptr;
};

}  // namespace auraio
