// qd1 baseline in C with the engine's ring setup (SUBMIT_ALL, CQSIZE, registered ring fd, eventfd):
// one 4 KiB random read at a time, latency from prep to reap. It separates the kernel's share of the
// engine's qd1 latency from the JS/N-API share. Built and run by randread.ts (case c-qd1).
//   cc -O2 -o qd1-baseline qd1-baseline.c -luring && ./qd1-baseline FILE SECONDS
#include <fcntl.h>
#include <liburing.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>

static uint64_t now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static int cmp(const void* a, const void* b) {
  uint64_t x = *(const uint64_t*)a, y = *(const uint64_t*)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  const double seconds = atof(argv[2]);
  struct io_uring ring;
  struct io_uring_params p = {0};
  p.flags = IORING_SETUP_SUBMIT_ALL | IORING_SETUP_CQSIZE;
  p.cq_entries = 1024;
  if (io_uring_queue_init_params(256, &ring, &p) < 0) return 1;
  io_uring_register_ring_fd(&ring);
  io_uring_register_eventfd(&ring, eventfd(0, EFD_NONBLOCK));
  int fd = open(argv[1], O_RDONLY);
  if (fd < 0) return 1;
  char* buf;
  if (posix_memalign((void**)&buf, 4096, 4096)) return 1;
  const size_t cap = 20000000;
  uint64_t* lat = malloc(cap * sizeof(uint64_t));
  uint32_t seed = 0x9e3779b9;
  size_t n = 0;
  const uint64_t t0 = now(), end = t0 + (uint64_t)(seconds * 1e9);
  uint64_t t = t0;
  while (t < end && n < cap) {
    seed ^= seed << 13;
    seed ^= seed >> 17;
    seed ^= seed << 5;
    const uint64_t s = now();
    struct io_uring_sqe* q = io_uring_get_sqe(&ring);
    io_uring_prep_read(q, fd, buf, 4096, (uint64_t)(seed % 262144) * 4096);
    io_uring_submit(&ring);
    struct io_uring_cqe* c;
    io_uring_wait_cqe(&ring, &c);
    if (c->res != 4096) return 1;
    io_uring_cqe_seen(&ring, c);
    t = now();
    lat[n++] = t - s;
  }
  const double secs = (double)(t - t0) / 1e9;
  qsort(lat, n, sizeof(uint64_t), cmp);
  printf("{\"iops\":%.0f,\"p50us\":%.3f,\"p99us\":%.3f}\n", (double)n / secs, lat[n / 2] / 1000.0, lat[n * 99 / 100] / 1000.0);
  return 0;
}
