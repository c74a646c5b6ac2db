// readMany jobs: N positional reads run by the engine itself, at most `window` in flight, refilled from
// the completion path without a round trip through JavaScript; JS sees one op (the head) that completes
// once every member read has. Plain C++ (no Node headers).
#pragma once
#include <cstdint>
#include <vector>

namespace auraio {

// Head results (what the JS callback of the job gets).
constexpr double kReadManyDone = -1;       // every request ran; results hold each outcome
constexpr double kReadManyStopped = -2;    // cancelled (by the caller, cancelAll or close): see results
constexpr double kReadManyNoSlot = -3;     // 2^20 ops outstanding: stopped before submitting everything
// A result >= 0 is the index of the request whose error stopped a fail-fast job.

struct ReadManyJob {
  // The request columns, in JS memory: the caller keeps them alive and unchanged until the head's
  // callback. Request i reads len[i] bytes at pos[i] of fd[i] into bases[base[i]] + off[i].
  const int32_t* fd = nullptr;
  const double* pos = nullptr;
  const int32_t* len = nullptr;
  const int32_t* base = nullptr;
  const double* off = nullptr;
  // Written once per request: the read's result, or -errno (-ECANCELED for requests never submitted).
  int32_t* results = nullptr;
  std::vector<uint8_t*> bases;  // ArrayBuffer starts (kept alive by the JS side as well)
  std::vector<int32_t> slotOf;  // request -> member slot while it is in flight (for cancel)
  uint32_t head = 0;
  uint32_t count = 0;
  uint32_t window = 1;
  uint32_t next = 0;      // first request not yet submitted
  uint32_t inflight = 0;  // members submitted and not yet completed
  bool failFast = true;
  bool stopping = false;  // submit nothing more
  bool cancelling = false;  // inside a cancel sweep: the sweep finishes the head, not the members
  bool live = false;        // started and its head not yet finished
  bool refillQueued = false;  // waits in the engine's list of jobs to refill after the current reap
  double code = kReadManyDone;
};

}  // namespace auraio
