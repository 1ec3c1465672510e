#include "core/process_memory.h"

#include <malloc.h>

namespace hasteward::core {

void KeepFreedHeapMemoryForReuse() {
  // 32 MiB is the largest mmap threshold glibc accepts on 64-bit; a WAL segment is 16 MiB.
  mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
  // Keep up to 256 MiB of free heap at the top before trimming it back to the system.
  mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
  // One heap for every thread: a per-thread heap is at most 64 MiB, and one that empties is
  // unmapped whatever the trim threshold, so a 16 MiB segment read on one thread and freed on
  // another kept mapping fresh heaps (about 3,000 page faults per segment on the read-ahead).
  mallopt(M_ARENA_MAX, 1);
}

}  // namespace hasteward::core
