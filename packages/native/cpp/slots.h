// Slot table: one slot per JS-visible op (and per chain member). Slots live in fixed chunks so that an op's
// path strings and iovecs never move while the kernel may read them. Ids are generation-tagged
// (id = gen * 2^20 + slot) so a cancel that arrives after the slot was recycled finds a different
// generation and does nothing.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "ops.h"

namespace auraio {

constexpr uint32_t kSlotBits = 20;
constexpr uint32_t kMaxSlots = 1u << kSlotBits;
constexpr uint64_t kMaxGen = 1ull << 32;  // id stays below 2^52

enum class SlotState : uint8_t {
  Free,
  Queued,     // waiting in its ring's FIFO, no SQE yet
  InKernel,   // SQE prepared (maybe not yet submitted) and no CQE reaped yet
  Fallback,   // running as a plain syscall on the thread pool
  Done,       // result known, waiting for delivery to JS
  Batch       // head of a readMany job (readmany.h): its member reads are running
};

struct ReadManyJob;

struct Slot {
  uint64_t gen = 1;
  SlotState state = SlotState::Free;
  bool cancelRequested = false;
  bool member = false;        // chain member: its CQE folds into the head, never reported to JS on its own
  uint8_t chainRemaining = 0; // head of a chain: ops still outstanding
  uint16_t ring = 0;
  int32_t next = -1;          // head: first member; member: next member (-1 = none)
  int32_t head = -1;          // member: head slot
  int64_t result = 0;         // head of a chain: the head's own result
  int64_t chainErr = 0;       // head of a chain: first member error
  uint64_t startNs = 0;
  void* work = nullptr;       // thread-pool request of a fallback op (owned by the binding)
  ReadManyJob* job = nullptr; // readMany: the job of its head (state Batch) or of a member read
  uint32_t jobIndex = 0;      // readMany member: its request's index
  bool jobHead = false;       // readMany: the head, the one slot of the job that JS sees
  OpDesc op;
};

class SlotTable {
 public:
  static constexpr uint32_t kChunk = 1024;

  // Returns a free slot index, or -1 when 2^20 ops are outstanding.
  int64_t alloc() {
    if (free_.empty()) {
      if (chunks_.size() * kChunk >= kMaxSlots) return -1;
      uint32_t base = static_cast<uint32_t>(chunks_.size() * kChunk);
      chunks_.emplace_back(new Slot[kChunk]);
      for (uint32_t i = kChunk; i-- > 0;) free_.push_back(base + i);
    }
    uint32_t s = free_.back();
    free_.pop_back();
    return s;
  }

  void release(uint32_t s) {
    Slot& sl = at(s);
    sl.state = SlotState::Free;
    sl.cancelRequested = false;
    sl.member = false;
    sl.chainRemaining = 0;
    sl.next = -1;
    sl.head = -1;
    sl.work = nullptr;
    sl.job = nullptr;
    sl.jobHead = false;
    sl.gen = sl.gen + 1 >= kMaxGen ? 1 : sl.gen + 1;
    free_.push_back(s);
  }

  Slot& at(uint32_t s) { return chunks_[s / kChunk][s % kChunk]; }
  uint32_t capacity() const { return static_cast<uint32_t>(chunks_.size() * kChunk); }

  static double idOf(uint32_t s, uint64_t gen) { return static_cast<double>(gen) * kMaxSlots + s; }

 private:
  std::vector<std::unique_ptr<Slot[]>> chunks_;
  std::vector<uint32_t> free_;
};

}  // namespace auraio
