#include <malloc.h>

#include "cli/cli.h"

int main(int argc, char** argv) {
  // Chunk and pack buffers are 0.5-17 MiB. A fixed mmap threshold keeps glibc from raising it
  // dynamically (which parks freed buffers in the heap): freed buffers go back to the OS and the
  // peak RSS stays near the pipeline's real budget.
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);
  mallopt(M_ARENA_MAX, 4);
  return hasteward::cli::Main(argc, argv);
}
