// The N-API surface. Hot-path functions take primitives only, never throw (TypeScript validated the
// arguments), and return a request id (>= 0), -1 when the engine is closed, or -2 when 2^20 ops are
// outstanding. Each engine's functions carry their Host as callback data, so a call costs no unwrap.
#include <napi.h>
#include <stdlib.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "host.h"

using namespace auraio;

namespace {

inline napi_value num(napi_env env, double d) {
  napi_value v;
  napi_create_double(env, d, &v);
  return v;
}
inline int32_t i32(napi_env env, napi_value v) {
  int32_t x = 0;
  napi_get_value_int32(env, v, &x);
  return x;
}
inline uint32_t u32(napi_env env, napi_value v) {
  uint32_t x = 0;
  napi_get_value_uint32(env, v, &x);
  return x;
}
inline int64_t i64(napi_env env, napi_value v) {
  int64_t x = 0;
  napi_get_value_int64(env, v, &x);
  return x;
}
inline uint64_t pos(napi_env env, napi_value v) {
  int64_t x = i64(env, v);
  return x < 0 ? UINT64_MAX : static_cast<uint64_t>(x);
}
inline bool boolean(napi_env env, napi_value v) {
  bool b = false;
  napi_get_value_bool(env, v, &b);
  return b;
}
inline void* bytes(napi_env env, napi_value v, size_t* len = nullptr) {
  void* data = nullptr;
  size_t n = 0;
  napi_get_typedarray_info(env, v, nullptr, &n, &data, nullptr, nullptr);
  if (len) *len = n;
  return data;
}
inline void str(napi_env env, napi_value v, std::string& out) {
  size_t n = 0;
  napi_get_value_string_utf8(env, v, nullptr, 0, &n);
  out.resize(n);
  napi_get_value_string_utf8(env, v, out.data(), n + 1, &n);
}

template <size_t N>
struct Call {
  napi_value argv[N == 0 ? 1 : N];
  Host* host;
  Call(napi_env env, napi_callback_info info) {
    size_t argc = N;
    void* data = nullptr;
    napi_get_cb_info(env, info, &argc, argv, nullptr, &data);
    host = static_cast<Host*>(data);
  }
};

// Allocates a slot and fills its op with `fill(op)`; returns the id, -1 (closed) or -2 (no slot).
template <size_t N, typename Fill>
napi_value submit(napi_env env, napi_callback_info info, OpKind kind, Fill fill) {
  Call<N> c(env, info);
  if (c.host->closed()) return num(env, -1);
  Engine* en = c.host->engine();
  int64_t s = en->allocSlot();
  if (s < 0) return num(env, -2);
  OpDesc& op = en->opOf(static_cast<uint32_t>(s));
  op.kind = kind;
  fill(op, c.argv);
  return num(env, en->start(static_cast<uint32_t>(s)));
}

napi_value Read(napi_env env, napi_callback_info info) {
  return submit<4>(env, info, OpKind::Read, [env](OpDesc& op, napi_value* a) {
    op.fd = i32(env, a[0]);
    op.addr = bytes(env, a[1]);
    op.len = static_cast<uint64_t>(i64(env, a[2]));
    op.off = pos(env, a[3]);
  });
}

napi_value Write(napi_env env, napi_callback_info info) {
  return submit<4>(env, info, OpKind::Write, [env](OpDesc& op, napi_value* a) {
    op.fd = i32(env, a[0]);
    op.addr = bytes(env, a[1]);
    op.len = static_cast<uint64_t>(i64(env, a[2]));
    op.off = pos(env, a[3]);
  });
}

void fillIov(napi_env env, OpDesc& op, napi_value arr) {
  uint32_t n = 0;
  napi_get_array_length(env, arr, &n);
  op.iov.clear();
  for (uint32_t i = 0; i < n; ++i) {
    napi_value el;
    napi_get_element(env, arr, i, &el);
    size_t len = 0;
    void* p = bytes(env, el, &len);
    op.iov.push_back(iovec{p, len});
  }
}

napi_value Readv(napi_env env, napi_callback_info info) {
  return submit<3>(env, info, OpKind::Readv, [env](OpDesc& op, napi_value* a) {
    op.fd = i32(env, a[0]);
    fillIov(env, op, a[1]);
    op.off = pos(env, a[2]);
  });
}

napi_value Writev(napi_env env, napi_callback_info info) {
  return submit<3>(env, info, OpKind::Writev, [env](OpDesc& op, napi_value* a) {
    op.fd = i32(env, a[0]);
    fillIov(env, op, a[1]);
    op.off = pos(env, a[2]);
  });
}

napi_value Fsync(napi_env env, napi_callback_info info) {
  return submit<2>(env, info, OpKind::Fsync, [env](OpDesc& op, napi_value* a) {
    op.fd = i32(env, a[0]);
    op.flags = boolean(env, a[1]) ? IORING_FSYNC_DATASYNC : 0;
  });
}

napi_value Openat(napi_env env, napi_callback_info info) {
  return submit<4>(env, info, OpKind::Openat, [env](OpDesc& op, napi_value* a) {
    op.fd = i32(env, a[0]);
    str(env, a[1], op.path);
    op.flags = static_cast<uint32_t>(i32(env, a[2]));
    op.mode = u32(env, a[3]);
  });
}

napi_value Close(napi_env env, napi_callback_info info) {
  return submit<1>(env, info, OpKind::Close, [env](OpDesc& op, napi_value* a) { op.fd = i32(env, a[0]); });
}

napi_value Statx(napi_env env, napi_callback_info info) {
  return submit<5>(env, info, OpKind::Statx, [env](OpDesc& op, napi_value* a) {
    op.fd = i32(env, a[0]);
    str(env, a[1], op.path);
    op.flags = static_cast<uint32_t>(i32(env, a[2]));
    op.mode = u32(env, a[3]);
    op.addr = bytes(env, a[4]);
  });
}

napi_value Fallocate(napi_env env, napi_callback_info info) {
  return submit<4>(env, info, OpKind::Fallocate, [env](OpDesc& op, napi_value* a) {
    op.fd = i32(env, a[0]);
    op.mode = static_cast<uint32_t>(i32(env, a[1]));
    op.off = static_cast<uint64_t>(i64(env, a[2]));
    op.len = static_cast<uint64_t>(i64(env, a[3]));
  });
}

napi_value Ftruncate(napi_env env, napi_callback_info info) {
  return submit<2>(env, info, OpKind::Ftruncate, [env](OpDesc& op, napi_value* a) {
    op.fd = i32(env, a[0]);
    op.len = static_cast<uint64_t>(i64(env, a[1]));
  });
}

napi_value SyncFileRange(napi_env env, napi_callback_info info) {
  return submit<4>(env, info, OpKind::SyncFileRange, [env](OpDesc& op, napi_value* a) {
    op.fd = i32(env, a[0]);
    op.off = static_cast<uint64_t>(i64(env, a[1]));
    op.len = static_cast<uint64_t>(i64(env, a[2]));
    op.flags = static_cast<uint32_t>(i32(env, a[3]));
  });
}

napi_value Unlinkat(napi_env env, napi_callback_info info) {
  return submit<3>(env, info, OpKind::Unlinkat, [env](OpDesc& op, napi_value* a) {
    op.fd = i32(env, a[0]);
    str(env, a[1], op.path);
    op.flags = static_cast<uint32_t>(i32(env, a[2]));
  });
}

napi_value Renameat(napi_env env, napi_callback_info info) {
  return submit<5>(env, info, OpKind::Renameat, [env](OpDesc& op, napi_value* a) {
    op.fd = i32(env, a[0]);
    str(env, a[1], op.path);
    op.fd2 = i32(env, a[2]);
    str(env, a[3], op.path2);
    op.flags = static_cast<uint32_t>(i32(env, a[4]));
  });
}

napi_value Mkdirat(napi_env env, napi_callback_info info) {
  return submit<3>(env, info, OpKind::Mkdirat, [env](OpDesc& op, napi_value* a) {
    op.fd = i32(env, a[0]);
    str(env, a[1], op.path);
    op.mode = u32(env, a[2]);
  });
}

napi_value Symlinkat(napi_env env, napi_callback_info info) {
  return submit<3>(env, info, OpKind::Symlinkat, [env](OpDesc& op, napi_value* a) {
    str(env, a[0], op.path);
    op.fd2 = i32(env, a[1]);
    str(env, a[2], op.path2);
  });
}

napi_value Linkat(napi_env env, napi_callback_info info) {
  return submit<5>(env, info, OpKind::Linkat, [env](OpDesc& op, napi_value* a) {
    op.fd = i32(env, a[0]);
    str(env, a[1], op.path);
    op.fd2 = i32(env, a[2]);
    str(env, a[3], op.path2);
    op.flags = static_cast<uint32_t>(i32(env, a[4]));
  });
}

// readFixed / writeFixed(fd, buffer, length, position, bufIndex): the same arguments, opposite directions.
template <OpKind Kind>
napi_value FixedIo(napi_env env, napi_callback_info info) {
  return submit<5>(env, info, Kind, [env](OpDesc& op, napi_value* a) {
    op.fd = i32(env, a[0]);
    op.addr = bytes(env, a[1]);
    op.len = static_cast<uint64_t>(i64(env, a[2]));
    op.off = pos(env, a[3]);
    op.bufIndex = static_cast<uint16_t>(u32(env, a[4]));
  });
}

// registerBuffers(Uint8Array[]) -> 0 | -errno
napi_value RegisterBuffers(napi_env env, napi_callback_info info) {
  Call<1> c(env, info);
  if (c.host->closed()) return num(env, -EBADF);
  OpDesc tmp;
  fillIov(env, tmp, c.argv[0]);
  return num(env, c.host->engine()->registerBuffers(tmp.iov));
}

napi_value UnregisterBuffers(napi_env env, napi_callback_info info) {
  Call<0> c(env, info);
  if (c.host->closed()) return num(env, 0);
  return num(env, c.host->engine()->unregisterBuffers());
}

// writeFsync(fd, buf, len, pos, datasync): write linked to fsync, one id, one callback.
napi_value WriteFsync(napi_env env, napi_callback_info info) {
  Call<5> c(env, info);
  if (c.host->closed()) return num(env, -1);
  Engine* en = c.host->engine();
  int64_t s = en->allocSlot();
  if (s < 0) return num(env, -2);
  int64_t m = en->allocSlot();
  if (m < 0) {
    en->release(static_cast<uint32_t>(s));
    return num(env, -2);
  }
  OpDesc& w = en->opOf(static_cast<uint32_t>(s));
  w.kind = OpKind::Write;
  w.fd = i32(env, c.argv[0]);
  w.addr = bytes(env, c.argv[1]);
  w.len = static_cast<uint64_t>(i64(env, c.argv[2]));
  w.off = pos(env, c.argv[3]);
  OpDesc& f = en->opOf(static_cast<uint32_t>(m));
  f.kind = OpKind::Fsync;
  f.fd = w.fd;
  f.flags = boolean(env, c.argv[4]) ? IORING_FSYNC_DATASYNC : 0;
  en->link(static_cast<uint32_t>(s), static_cast<uint32_t>(m));
  return num(env, en->start(static_cast<uint32_t>(s)));
}

// readBatch(fd, buf, bufOffsets, lengths, positions, count, idsOut): the three arrays and idsOut are
// Float64Arrays; one native call prepares `count` reads. idsOut[i] gets the id (or -2: no slot).
napi_value ReadBatch(napi_env env, napi_callback_info info) {
  Call<7> c(env, info);
  if (c.host->closed()) return num(env, -1);
  Engine* en = c.host->engine();
  const int32_t fd = i32(env, c.argv[0]);
  auto* base = static_cast<uint8_t*>(bytes(env, c.argv[1]));
  const auto* offs = static_cast<const double*>(bytes(env, c.argv[2]));
  const auto* lens = static_cast<const double*>(bytes(env, c.argv[3]));
  const auto* poss = static_cast<const double*>(bytes(env, c.argv[4]));
  const uint32_t count = u32(env, c.argv[5]);
  auto* ids = static_cast<double*>(bytes(env, c.argv[6]));
  en->beginBatch();
  for (uint32_t i = 0; i < count; ++i) {
    int64_t s = en->allocSlot();
    if (s < 0) {
      ids[i] = -2;
      continue;
    }
    OpDesc& op = en->opOf(static_cast<uint32_t>(s));
    op.kind = OpKind::Read;
    op.fd = fd;
    op.addr = base + static_cast<size_t>(offs[i]);
    op.len = static_cast<uint64_t>(lens[i]);
    op.off = poss[i] < 0 ? UINT64_MAX : static_cast<uint64_t>(poss[i]);
    ids[i] = en->start(static_cast<uint32_t>(s));
  }
  en->endBatch();
  return num(env, count);
}

// readMany(fds: Int32Array, positions: Float64Array, lengths: Int32Array, bases: Int32Array,
// offsets: Float64Array, buffers: Uint8Array[], count, window, failFast, results: Int32Array) -> id.
// Request i reads lengths[i] bytes at positions[i] of fds[i] into the ArrayBuffer of buffers[bases[i]],
// at byte offset offsets[i]. The engine keeps `window` of them in flight and refills natively; the one
// callback of the returned id fires when every read is done (see readmany.h for its result). The columns
// and buffers must stay alive and unchanged until then. -4: a column is shorter than count.
napi_value ReadMany(napi_env env, napi_callback_info info) {
  Call<10> c(env, info);
  if (c.host->closed()) return num(env, -1);
  Engine* en = c.host->engine();
  const uint32_t count = u32(env, c.argv[6]);
  size_t n[5] = {0, 0, 0, 0, 0};
  void* cols[5];
  for (int k = 0; k < 5; ++k) cols[k] = bytes(env, c.argv[k], &n[k]);
  size_t nres = 0;
  auto* results = static_cast<int32_t*>(bytes(env, c.argv[9], &nres));
  for (int k = 0; k < 5; ++k)
    if (n[k] < count) return num(env, -4);
  if (nres < count) return num(env, -4);
  ReadManyJob* j = en->takeReadManyJob();
  j->fd = static_cast<const int32_t*>(cols[0]);
  j->pos = static_cast<const double*>(cols[1]);
  j->len = static_cast<const int32_t*>(cols[2]);
  j->base = static_cast<const int32_t*>(cols[3]);
  j->off = static_cast<const double*>(cols[4]);
  j->results = results;
  j->count = count;
  j->window = u32(env, c.argv[7]);
  j->failFast = boolean(env, c.argv[8]);
  uint32_t nb = 0;
  napi_get_array_length(env, c.argv[5], &nb);
  j->bases.clear();
  for (uint32_t b = 0; b < nb; ++b) {
    napi_value el;
    napi_get_element(env, c.argv[5], b, &el);
    void* data = nullptr;
    size_t offset = 0;
    napi_get_typedarray_info(env, el, nullptr, nullptr, &data, nullptr, &offset);
    j->bases.push_back(static_cast<uint8_t*>(data) - offset);
  }
  return num(env, en->startReadMany(j));
}

napi_value Cancel(napi_env env, napi_callback_info info) {
  Call<1> c(env, info);
  if (!c.host->closed()) {
    double id = -1;
    napi_get_value_double(env, c.argv[0], &id);
    c.host->engine()->cancel(id);
  }
  return nullptr;
}

napi_value CancelAll(napi_env env, napi_callback_info info) {
  Call<0> c(env, info);
  if (!c.host->closed()) c.host->engine()->cancelAll();
  return nullptr;
}

napi_value SetLimit(napi_env env, napi_callback_info info) {
  Call<2> c(env, info);
  if (!c.host->closed()) c.host->engine()->setLimit(u32(env, c.argv[0]), u32(env, c.argv[1]));
  return nullptr;
}

// next() -> size of the next delivery batch, or 0. Only meaningful inside the dispatch callback.
napi_value Next(napi_env env, napi_callback_info info) {
  Call<0> c(env, info);
  napi_value v;
  napi_create_uint32(env, c.host->nextRound(), &v);
  return v;
}

napi_value Destroy(napi_env env, napi_callback_info info) {
  Call<0> c(env, info);
  c.host->requestDestroy();
  return nullptr;
}

// The blocks are reported to V8 as external memory: otherwise a loop that opens and closes engines makes
// tiny JS objects holding 64 KiB each and the GC sees no reason to run.
void releaseBlock(napi_env env, void*, void* hint) {
  auto* b = static_cast<SharedBlock*>(hint);
  int64_t ignored;
  napi_adjust_external_memory(env, -static_cast<int64_t>(b->count * sizeof(double)), &ignored);
  b->unref();
}
void releaseHost(napi_env, void* data, void*) { static_cast<Host*>(data)->release(); }

napi_value liveF64(napi_env env, SharedBlock* b) {
  napi_value ab, ta;
  b->refs.fetch_add(1);
  if (napi_create_external_arraybuffer(env, b->data, b->count * sizeof(double), releaseBlock, b, &ab) != napi_ok) {
    b->refs.fetch_sub(1);
    napi_throw_error(env, "ERR_AURAIO_EXTERNAL_BUFFER",
                     "this runtime does not allow external ArrayBuffers, which the live counters need");
    return nullptr;
  }
  int64_t ignored;
  napi_adjust_external_memory(env, static_cast<int64_t>(b->count * sizeof(double)), &ignored);
  napi_create_typedarray(env, napi_float64_array, b->count, ab, 0, &ta);
  return ta;
}

uint32_t optU32(napi_env env, napi_value obj, const char* key, uint32_t dflt) {
  bool has = false;
  napi_has_named_property(env, obj, key, &has);
  if (!has) return dflt;
  napi_value v;
  napi_get_named_property(env, obj, key, &v);
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_boolean) return boolean(env, v) ? 1 : 0;
  if (t != napi_number) return dflt;
  return u32(env, v);
}

// open(options, dispatch) -> engine object | { errno, stage }
napi_value Open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  EngineOptions o;
  o.rings = std::max(1u, optU32(env, argv[0], "rings", 1));
  o.ring.entries = optU32(env, argv[0], "entries", 256);
  o.ring.sqpoll = optU32(env, argv[0], "sqpoll", 0) != 0;
  o.ring.sqpollIdleMs = optU32(env, argv[0], "sqpollIdleMs", 50);
  o.ring.iowqBounded = optU32(env, argv[0], "iowqBounded", 0);
  o.ring.iowqUnbounded = optU32(env, argv[0], "iowqUnbounded", 0);
  o.submitBatch = optU32(env, argv[0], "submitBatch", 32);
  o.forceFallbackMask = optU32(env, argv[0], "forceFallbackMask", 0);
  o.shared = optU32(env, argv[0], "shared", 0) != 0;

  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  auto* host = new Host(env, loop);
  const char* stage = "open";
  int r = host->open(o, argv[1], &stage);
  napi_value result;
  napi_create_object(env, &result);
  if (r < 0) {
    delete host;
    napi_value e, st;
    napi_create_int32(env, -r, &e);
    napi_create_string_utf8(env, stage, NAPI_AUTO_LENGTH, &st);
    napi_set_named_property(env, result, "errno", e);
    napi_set_named_property(env, result, "stage", st);
    return result;
  }
  Engine* en = host->engine();
  napi_value supported;
  napi_create_array_with_length(env, kOpKinds, &supported);
  for (int k = 0; k < kOpKinds; ++k) {
    napi_value b;
    napi_get_boolean(env, en->kernelHas(static_cast<OpKind>(k)), &b);
    napi_set_element(env, supported, static_cast<uint32_t>(k), b);
  }
  napi_value counters = liveF64(env, host->counters);
  napi_value hist = liveF64(env, host->hist);
  napi_value pairs = liveF64(env, host->pairs);
  if (counters == nullptr || hist == nullptr || pairs == nullptr) return nullptr;
  napi_value ringCount = num(env, en->ringCount());
  napi_value shared, ringFds;
  napi_get_boolean(env, en->shared(), &shared);
  napi_create_array_with_length(env, en->ringCount(), &ringFds);
  for (unsigned i = 0; i < en->ringCount(); ++i) napi_set_element(env, ringFds, i, num(env, en->ringFd(i)));
  const napi_property_attributes ro = napi_enumerable;
  // Functions are made here rather than by napi_define_properties so that each gets a finalizer: the Host
  // they carry is freed once teardown is done and the last of them is collected (see Host::release).
  auto fn = [env, host, ro](const char* name, napi_callback cb) {
    napi_value f = nullptr;
    napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, host, &f);
    host->retain();
    napi_add_finalizer(env, f, host, releaseHost, nullptr, nullptr);
    return napi_property_descriptor{name, nullptr, nullptr, nullptr, nullptr, f, ro, nullptr};
  };
  auto val = [ro](const char* name, napi_value v) {
    return napi_property_descriptor{name, nullptr, nullptr, nullptr, nullptr, v, ro, nullptr};
  };
  napi_property_descriptor props[] = {
      fn("read", Read),           fn("write", Write),         fn("readv", Readv),
      fn("writev", Writev),       fn("fsync", Fsync),         fn("openat", Openat),
      fn("close", Close),         fn("statx", Statx),         fn("fallocate", Fallocate),
      fn("ftruncate", Ftruncate), fn("syncFileRange", SyncFileRange), fn("unlinkat", Unlinkat),
      fn("renameat", Renameat),   fn("mkdirat", Mkdirat),     fn("symlinkat", Symlinkat),
      fn("linkat", Linkat),       fn("writeFsync", WriteFsync), fn("readBatch", ReadBatch), fn("readMany", ReadMany),
      fn("cancel", Cancel),       fn("cancelAll", CancelAll), fn("setLimit", SetLimit),
      fn("destroy", Destroy),     fn("next", Next),     fn("readFixed", FixedIo<OpKind::ReadFixed>), fn("writeFixed", FixedIo<OpKind::WriteFixed>),
      fn("registerBuffers", RegisterBuffers), fn("unregisterBuffers", UnregisterBuffers),
      val("counters", counters),  val("latency", hist),       val("pairs", pairs),
      val("ringCount", ringCount), val("supported", supported),
      val("shared", shared),      val("ringFds", ringFds),
  };
  napi_define_properties(env, result, sizeof(props) / sizeof(props[0]), props);
  return result;
}

void freeAligned(napi_env env, void* data, void* hint) {
  int64_t size = static_cast<int64_t>(reinterpret_cast<uintptr_t>(hint));
  int64_t ignored;
  napi_adjust_external_memory(env, -size, &ignored);
  std::free(data);
}

// allocAligned(size, alignment) -> Uint8Array over zeroed memory aligned to `alignment`, or null (ENOMEM).
napi_value AllocAligned(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  const size_t size = static_cast<size_t>(i64(env, argv[0]));
  const size_t align = static_cast<size_t>(i64(env, argv[1]));
  napi_value ab, ta;
  void* p = nullptr;
  if (posix_memalign(&p, align, size == 0 ? align : size) != 0) return nullptr;
  // Opt-in by alignment: a caller asking for 2 MiB alignment gets transparent huge pages (THP
  // "madvise" mode), so first touch costs one fault per 2 MiB instead of one per 4 KiB — about 30×
  // faster on a VM (64 MiB: ~6 ms instead of ~190 ms). The hint is best effort.
  if (align >= (size_t{2} << 20) && size >= (size_t{2} << 20)) madvise(p, size, MADV_HUGEPAGE);
  std::memset(p, 0, size);
  napi_status st = napi_create_external_arraybuffer(env, p, size, freeAligned,
                                                    reinterpret_cast<void*>(static_cast<uintptr_t>(size)), &ab);
  if (st == napi_ok) {
    int64_t ignored;
    napi_adjust_external_memory(env, static_cast<int64_t>(size), &ignored);
    napi_create_typedarray(env, napi_uint8_array, size, ab, 0, &ta);
    return ta;
  }
  std::free(p);
  // Runtimes with a V8 sandbox forbid external buffers: over-allocate a normal one and view it at an
  // aligned offset (never allocate-then-copy: the memory the kernel sees must be the memory JS sees).
  void* data = nullptr;
  if (napi_create_arraybuffer(env, size + align, &data, &ab) != napi_ok) return nullptr;
  const size_t offset = (align - reinterpret_cast<uintptr_t>(data) % align) % align;
  napi_create_typedarray(env, napi_uint8_array, size, ab, offset, &ta);
  return ta;
}

napi_value LatencyBounds(napi_env env, napi_callback_info) {
  napi_value arr;
  napi_create_array_with_length(env, kLatencyBuckets, &arr);
  for (int i = 0; i < kLatencyBuckets; ++i) napi_set_element(env, arr, static_cast<uint32_t>(i), num(env, static_cast<double>(latencyBucketUpper(i))));
  return arr;
}

napi_value OpNames(napi_env env, napi_callback_info) {
  napi_value arr;
  napi_create_array_with_length(env, kOpKinds, &arr);
  for (int k = 0; k < kOpKinds; ++k) {
    napi_value s;
    napi_create_string_utf8(env, opName(static_cast<OpKind>(k)), NAPI_AUTO_LENGTH, &s);
    napi_set_element(env, arr, static_cast<uint32_t>(k), s);
  }
  return arr;
}

// liveObjects() -> [hosts, blocks, shared groups, rings of the group, engines attached to it], for the
// whole process (tests of reclamation and of ring sharing).
napi_value LiveObjects(napi_env env, napi_callback_info) {
  int64_t groups = 0, rings = 0, engines = 0;
  RingGroup::info(&groups, &rings, &engines);
  const double v[] = {static_cast<double>(gLiveHosts.load()), static_cast<double>(gLiveBlocks.load()),
                      static_cast<double>(groups), static_cast<double>(rings), static_cast<double>(engines)};
  napi_value arr;
  napi_create_array_with_length(env, 5, &arr);
  for (uint32_t i = 0; i < 5; ++i) napi_set_element(env, arr, i, num(env, v[i]));
  return arr;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  napi_value f;
  napi_create_function(env, "open", NAPI_AUTO_LENGTH, Open, nullptr, &f);
  exports.Set("open", Napi::Value(env, f));
  napi_create_function(env, "allocAligned", NAPI_AUTO_LENGTH, AllocAligned, nullptr, &f);
  exports.Set("allocAligned", Napi::Value(env, f));
  napi_create_function(env, "latencyBounds", NAPI_AUTO_LENGTH, LatencyBounds, nullptr, &f);
  exports.Set("latencyBounds", Napi::Value(env, f));
  napi_create_function(env, "opNames", NAPI_AUTO_LENGTH, OpNames, nullptr, &f);
  exports.Set("opNames", Napi::Value(env, f));
  napi_create_function(env, "liveObjects", NAPI_AUTO_LENGTH, LiveObjects, nullptr, &f);
  exports.Set("liveObjects", Napi::Value(env, f));
  exports.Set("counterStride", Napi::Number::New(env, kCounterStride));
  exports.Set("deliverCapacity", Napi::Number::New(env, kDeliverCapacity));
  return exports;
}

}  // namespace

NODE_API_MODULE(auraio, Init)
