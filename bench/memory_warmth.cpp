// What a 16 MiB buffer (a WAL segment, a pack) costs on this machine depending on how recently its
// pages were used: the figures behind the WAL agent's memory choices (core/process_memory.h,
// repo/backup/chunk_buffer_pool.h, the read-ahead budget in pitr/wal/wal_prefetch.h).
// Medians of RUNS, ms per 16 MiB:
//   fresh   mmap + memset + munmap of 16 MiB (every page faulted in anew), against memset of a
//           buffer already mapped;
//   cycle K write 16 MiB into a new file from each of K buffers in turn (K x 16 MiB of memory
//           cycled through, as a read-ahead holding K segments does), every buffer written by
//           user code just before.
//
//   build/bench/memory_warmth_bench [directory] [runs]   (default /tmp, 9)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

namespace {

constexpr size_t kSegment = size_t{16} << 20;

double Ms(const std::function<void()>& timed) {
  auto start = std::chrono::steady_clock::now();
  timed();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "memory_warmth_bench: %s failed: %s\n", what, std::strerror(errno));
    std::exit(1);
  }
}

void WriteFile(const std::string& path, const uint8_t* data) {
  ::unlink(path.c_str());
  int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
  Check(fd >= 0, "open");
  for (size_t done = 0; done < kSegment;) {
    ssize_t n = ::write(fd, data + done, kSegment - done);
    Check(n > 0, "write");
    done += static_cast<size_t>(n);
  }
  ::close(fd);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : "/tmp";
  const int runs = argc > 2 ? std::max(1, std::atoi(argv[2])) : 9;
  const std::string path = dir + "/memory-warmth-bench.tmp";
  std::vector<double> fresh;
  std::vector<double> reused;
  std::vector<uint8_t> warm(kSegment, 1);
  for (int r = 0; r < runs; ++r) {
    fresh.push_back(Ms([] {
      void* p =
          ::mmap(nullptr, kSegment, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      Check(p != MAP_FAILED, "mmap");
      std::memset(p, 2, kSegment);
      ::munmap(p, kSegment);
    }));
    reused.push_back(Ms([&] { std::memset(warm.data(), r, kSegment); }));
  }
  std::printf("fill 16 MiB: fresh pages %.1f ms, pages already mapped %.1f ms\n", Median(fresh),
              Median(reused));
  for (size_t k : {1, 4, 8, 16}) {
    std::vector<std::vector<uint8_t>> buffers(k, std::vector<uint8_t>(kSegment, 3));
    std::vector<double> ms;
    for (int r = 0; r < runs; ++r) {
      for (size_t i = 0; i < k; ++i) {
        std::memset(buffers[i].data(), r + static_cast<int>(i), kSegment);  // "decoded" just now
        double t = Ms([&] { WriteFile(path, buffers[i].data()); });
        if (r > 0) {  // the first round maps the buffers' pages in
          ms.push_back(t);
        }
      }
    }
    std::printf("write 16 MiB to a new file, cycling through %2zu buffers (%3zu MiB): %.1f ms\n", k,
                k * 16, Median(ms));
  }
  ::unlink(path.c_str());
  return 0;
}
