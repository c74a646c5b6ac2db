// Log-linear latency histogram in microseconds. Exact below 16 us, then 8 sub-buckets per power of two,
// so every bucket is at most 12.5% wide; the last bucket (>= 2^26 us, about 67 s) catches everything
// above. The layout is part of the JS contract (LATENCY_BUCKET_BOUNDS_US in src/internal/layout.ts).
#pragma once
#include <cstdint>

namespace auraio {

constexpr int kExactBuckets = 16;
constexpr int kSubBuckets = 8;
constexpr int kMaxPow = 25;  // values up to 2^26 - 1 us are resolved
constexpr int kLatencyBuckets = kExactBuckets + (kMaxPow - 4 + 1) * kSubBuckets + 1;  // 193

inline int latencyBucket(uint64_t us) {
  if (us < kExactBuckets) return static_cast<int>(us);
  int p = 63 - __builtin_clzll(us);
  if (p > kMaxPow) return kLatencyBuckets - 1;
  int sub = static_cast<int>((us >> (p - 3)) & 7);
  return kExactBuckets + (p - 4) * kSubBuckets + sub;
}

// Inclusive upper bound of bucket i, in microseconds (the last one is unbounded: returns -1).
inline int64_t latencyBucketUpper(int i) {
  if (i < kExactBuckets) return i;
  if (i >= kLatencyBuckets - 1) return -1;
  int k = i - kExactBuckets;
  int p = 4 + k / kSubBuckets;
  int sub = k % kSubBuckets;
  return (static_cast<int64_t>(9 + sub) << (p - 3)) - 1;
}

}  // namespace auraio
