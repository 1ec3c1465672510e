// How the size of one read or write system call changes the cost of moving 16 MiB (a WAL segment,
// a pack) between a warm buffer and a file, on this machine: the figures behind core/io_slice.h.
// For each call size: the median of RUNS writes of 16 MiB into a new file (pwrite), and of RUNS
// reads of the file back (pread, page cache warm); then the same through core::WriteAllAt and
// core::ReadSome, which slice at core::kMaxIoSlice.
//
//   build/bench/io_slice_bench [directory] [runs]   (default /tmp, 9)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include "core/fd.h"
#include "core/io_slice.h"

namespace {

using hasteward::core::ByteView;
constexpr size_t kTotal = size_t{16} << 20;

double MedianMs(int runs, const std::function<void()>& setup, const std::function<void()>& timed) {
  std::vector<double> ms;
  for (int r = 0; r < runs; ++r) {
    setup();
    auto start = std::chrono::steady_clock::now();
    timed();
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "io_slice_bench: %s failed: %s\n", what, std::strerror(errno));
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : "/tmp";
  const int runs = argc > 2 ? std::atoi(argv[2]) : 9;
  const std::string path = dir + "/io-slice-bench.tmp";
  std::vector<uint8_t> buffer(kTotal);
  std::memset(buffer.data(), 0x5a, buffer.size());  // warm: every page mapped before timing
  int fd = -1;
  auto fresh_file = [&] {
    if (fd >= 0) {
      ::close(fd);
    }
    ::unlink(path.c_str());
    fd = ::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
    Check(fd >= 0, "open");
  };
  std::printf("%-28s %10s %10s\n", "call size", "write ms", "read ms");
  for (size_t slice : {kTotal, size_t{4} << 20, size_t{1} << 20, size_t{256} << 10,
                       size_t{64} << 10}) {
    double write_ms = MedianMs(runs, fresh_file, [&] {
      for (size_t off = 0; off < kTotal; off += slice) {
        Check(::pwrite(fd, buffer.data() + off, slice, static_cast<off_t>(off)) ==
                  static_cast<ssize_t>(slice),
              "pwrite");
      }
    });
    double read_ms = MedianMs(runs, [] {}, [&] {
      for (size_t off = 0; off < kTotal; off += slice) {
        Check(::pread(fd, buffer.data() + off, slice, static_cast<off_t>(off)) ==
                  static_cast<ssize_t>(slice),
              "pread");
      }
    });
    std::printf("%-28s %10.1f %10.1f\n", (std::to_string(slice >> 10) + " KiB").c_str(), write_ms,
                read_ms);
  }
  double lib_write = MedianMs(runs, fresh_file, [&] {
    Check(hasteward::core::WriteAllAt(fd, ByteView(buffer.data(), kTotal), 0).ok(), "WriteAllAt");
  });
  double lib_read = MedianMs(runs, [] {}, [&] {
    Check(::lseek(fd, 0, SEEK_SET) == 0, "lseek");
    for (size_t done = 0; done < kTotal;) {
      auto n = hasteward::core::ReadSome(fd, std::span<uint8_t>(buffer.data() + done, kTotal - done));
      Check(n.ok() && *n > 0, "ReadSome");
      done += *n;
    }
  });
  std::printf("%-28s %10.1f %10.1f\n", "core::WriteAllAt / ReadSome", lib_write, lib_read);
  ::close(fd);
  ::unlink(path.c_str());
  return 0;
}
