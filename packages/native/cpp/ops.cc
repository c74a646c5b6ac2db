#include "ops.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

namespace auraio {

int opcodeOf(OpKind kind) {
  switch (kind) {
    case OpKind::Read: return IORING_OP_READ;
    case OpKind::Write: return IORING_OP_WRITE;
    case OpKind::Readv: return IORING_OP_READV;
    case OpKind::Writev: return IORING_OP_WRITEV;
    case OpKind::Fsync: return IORING_OP_FSYNC;
    case OpKind::Openat: return IORING_OP_OPENAT;
    case OpKind::Close: return IORING_OP_CLOSE;
    case OpKind::Statx: return IORING_OP_STATX;
    case OpKind::Fallocate: return IORING_OP_FALLOCATE;
    case OpKind::Ftruncate: return kOpFtruncate;
    case OpKind::SyncFileRange: return IORING_OP_SYNC_FILE_RANGE;
    case OpKind::Unlinkat: return IORING_OP_UNLINKAT;
    case OpKind::Renameat: return IORING_OP_RENAMEAT;
    case OpKind::Mkdirat: return IORING_OP_MKDIRAT;
    case OpKind::Symlinkat: return IORING_OP_SYMLINKAT;
    case OpKind::Linkat: return IORING_OP_LINKAT;
    case OpKind::ReadFixed: return IORING_OP_READ_FIXED;
    case OpKind::WriteFixed: return IORING_OP_WRITE_FIXED;
    default: return -1;
  }
}

const char* opName(OpKind kind) {
  static const char* const names[] = {"read",      "write",   "readv",    "writev",   "fsync",    "openat",
                                      "close",     "statx",   "fallocate", "ftruncate", "syncFileRange",
                                      "unlinkat",  "renameat", "mkdirat",  "symlinkat", "linkat",
                                      "readFixed", "writeFixed"};
  int i = static_cast<int>(kind);
  return i >= 0 && i < kOpKinds ? names[i] : "unknown";
}

void prepSqe(io_uring_sqe* sqe, OpDesc& op, uint64_t userData) {
  switch (op.kind) {
    case OpKind::Read:
      io_uring_prep_read(sqe, op.fd, op.addr, static_cast<unsigned>(op.len), op.off);
      break;
    case OpKind::Write:
      io_uring_prep_write(sqe, op.fd, op.addr, static_cast<unsigned>(op.len), op.off);
      break;
    case OpKind::Readv:
      io_uring_prep_readv(sqe, op.fd, op.iov.data(), static_cast<unsigned>(op.iov.size()), op.off);
      break;
    case OpKind::Writev:
      io_uring_prep_writev(sqe, op.fd, op.iov.data(), static_cast<unsigned>(op.iov.size()), op.off);
      break;
    case OpKind::Fsync:
      io_uring_prep_fsync(sqe, op.fd, op.flags);
      break;
    case OpKind::Openat:
      io_uring_prep_openat(sqe, op.fd, op.path.c_str(), static_cast<int>(op.flags), op.mode);
      break;
    case OpKind::Close:
      io_uring_prep_close(sqe, op.fd);
      break;
    case OpKind::Statx:
      io_uring_prep_statx(sqe, op.fd, op.path.c_str(), static_cast<int>(op.flags), op.mode,
                          static_cast<struct statx*>(op.addr));
      break;
    case OpKind::Fallocate:
      io_uring_prep_fallocate(sqe, op.fd, static_cast<int>(op.mode), static_cast<off_t>(op.off),
                              static_cast<off_t>(op.len));
      break;
    case OpKind::Ftruncate:
      // The kernel rejects any field but fd and off (the new length): clear the whole SQE first.
      std::memset(sqe, 0, sizeof(*sqe));
      sqe->opcode = kOpFtruncate;
      sqe->fd = op.fd;
      sqe->off = op.len;
      break;
    case OpKind::SyncFileRange:
      io_uring_prep_sync_file_range(sqe, op.fd, static_cast<unsigned>(op.len), op.off, static_cast<int>(op.flags));
      break;
    case OpKind::Unlinkat:
      io_uring_prep_unlinkat(sqe, op.fd, op.path.c_str(), static_cast<int>(op.flags));
      break;
    case OpKind::Renameat:
      io_uring_prep_renameat(sqe, op.fd, op.path.c_str(), op.fd2, op.path2.c_str(), op.flags);
      break;
    case OpKind::Mkdirat:
      io_uring_prep_mkdirat(sqe, op.fd, op.path.c_str(), op.mode);
      break;
    case OpKind::Symlinkat:
      io_uring_prep_symlinkat(sqe, op.path.c_str(), op.fd2, op.path2.c_str());
      break;
    case OpKind::Linkat:
      io_uring_prep_linkat(sqe, op.fd, op.path.c_str(), op.fd2, op.path2.c_str(), static_cast<int>(op.flags));
      break;
    case OpKind::ReadFixed:
      io_uring_prep_read_fixed(sqe, op.fd, op.addr, static_cast<unsigned>(op.len), op.off, op.bufIndex);
      break;
    case OpKind::WriteFixed:
      io_uring_prep_write_fixed(sqe, op.fd, op.addr, static_cast<unsigned>(op.len), op.off, op.bufIndex);
      break;
    default:
      io_uring_prep_nop(sqe);
      break;
  }
  io_uring_sqe_set_data64(sqe, userData);
}

static int64_t ret(int64_t r) { return r < 0 ? -static_cast<int64_t>(errno) : r; }

int64_t runSync(OpDesc& op) {
  const bool cur = op.off == UINT64_MAX;
  const off_t off = static_cast<off_t>(op.off);
  switch (op.kind) {
    case OpKind::Read:
    case OpKind::ReadFixed:
      return ret(cur ? ::read(op.fd, op.addr, op.len) : ::pread(op.fd, op.addr, op.len, off));
    case OpKind::Write:
    case OpKind::WriteFixed:
      return ret(cur ? ::write(op.fd, op.addr, op.len) : ::pwrite(op.fd, op.addr, op.len, off));
    case OpKind::Readv:
      return ret(cur ? ::readv(op.fd, op.iov.data(), static_cast<int>(op.iov.size()))
                     : ::preadv(op.fd, op.iov.data(), static_cast<int>(op.iov.size()), off));
    case OpKind::Writev:
      return ret(cur ? ::writev(op.fd, op.iov.data(), static_cast<int>(op.iov.size()))
                     : ::pwritev(op.fd, op.iov.data(), static_cast<int>(op.iov.size()), off));
    case OpKind::Fsync:
      return ret((op.flags & IORING_FSYNC_DATASYNC) ? ::fdatasync(op.fd) : ::fsync(op.fd));
    case OpKind::Openat:
      return ret(::openat(op.fd, op.path.c_str(), static_cast<int>(op.flags), op.mode));
    case OpKind::Close:
      return ret(::close(op.fd));
    case OpKind::Statx:
      return ret(::statx(op.fd, op.path.c_str(), static_cast<int>(op.flags), op.mode,
                         static_cast<struct statx*>(op.addr)));
    case OpKind::Fallocate:
      return ret(::fallocate(op.fd, static_cast<int>(op.mode), off, static_cast<off_t>(op.len)));
    case OpKind::Ftruncate:
      return ret(::ftruncate(op.fd, static_cast<off_t>(op.len)));
    case OpKind::SyncFileRange:
      return ret(::sync_file_range(op.fd, off, static_cast<off_t>(op.len), op.flags));
    case OpKind::Unlinkat:
      return ret(::unlinkat(op.fd, op.path.c_str(), static_cast<int>(op.flags)));
    case OpKind::Renameat:
      return ret(::renameat2(op.fd, op.path.c_str(), op.fd2, op.path2.c_str(), op.flags));
    case OpKind::Mkdirat:
      return ret(::mkdirat(op.fd, op.path.c_str(), op.mode));
    case OpKind::Symlinkat:
      return ret(::symlinkat(op.path.c_str(), op.fd2, op.path2.c_str()));
    case OpKind::Linkat:
      return ret(::linkat(op.fd, op.path.c_str(), op.fd2, op.path2.c_str(), static_cast<int>(op.flags)));
    default:
      return -ENOSYS;
  }
}

}  // namespace auraio
