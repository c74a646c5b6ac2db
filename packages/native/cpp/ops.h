// Operation descriptors: what an op needs to become an SQE later (when it leaves the limit FIFO) or to run
// as a plain syscall on the thread pool when the kernel lacks the opcode. Plain C++, no Node headers.
#pragma once
#include <liburing.h>
#include <sys/uio.h>

#include <cstdint>
#include <string>
#include <vector>

namespace auraio {

enum class OpKind : uint8_t {
  Read,
  Write,
  Readv,
  Writev,
  Fsync,
  Openat,
  Close,
  Statx,
  Fallocate,
  Ftruncate,
  SyncFileRange,
  Unlinkat,
  Renameat,
  Mkdirat,
  Symlinkat,
  Linkat,
  ReadFixed,   // read into a registered buffer (IORING_OP_READ_FIXED)
  WriteFixed,
  Count
};

constexpr int kOpKinds = static_cast<int>(OpKind::Count);

// IORING_OP_FTRUNCATE arrived in Linux 6.9; liburing 2.3 neither names it nor has a prep helper.
constexpr int kOpFtruncate = 55;

struct OpDesc {
  OpKind kind = OpKind::Read;
  int fd = -1;       // fd, dirfd or olddirfd
  int fd2 = -1;      // newdirfd
  uint32_t flags = 0;  // fsync / open / statx / rename / unlink / link / sync_file_range flags
  uint32_t mode = 0;   // open / mkdir mode, statx mask, fallocate mode
  uint64_t off = 0;    // position (UINT64_MAX: current file position) or offset
  uint64_t len = 0;
  void* addr = nullptr;  // data buffer or struct statx
  std::string path;      // owned copies: the kernel reads them after the JS call returned
  std::string path2;
  std::vector<iovec> iov;
  uint16_t bufIndex = 0;  // registered buffer of ReadFixed / WriteFixed
};

int opcodeOf(OpKind kind);
const char* opName(OpKind kind);
void prepSqe(io_uring_sqe* sqe, OpDesc& op, uint64_t userData);
// Runs the op as the plain syscall (thread-pool fallback). Returns the result or -errno.
int64_t runSync(OpDesc& op);

}  // namespace auraio
