// Exec streaming throughput: a producer in a "pod" (FakeKubeApi backs it with a local process)
// streams N bytes of stdout through the WebSocket exec channel over TLS into a counting sink,
// against the same producer read through a local pipe. Prints MB/s for both and the ratio
// (issue #16 target: exec >= 90 % of the pipe).
// Run: build/bench/exec_stream_bench [MiB, default 1024] [rounds, default 3]
// With HS_BENCH_PRODUCER set to a shell command (bench/exec_dump_compare.sh passes a pg_dump of a
// 1 GB database), that command is the producer on both paths instead of dd, and both must deliver
// the same number of bytes.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/subprocess.h"
#include "platform/kubernetes/pod_exec.h"
#include "support/fake_kube_api.h"

namespace {

namespace k8s = hasteward::platform::kubernetes;
using hasteward::core::Result;

constexpr size_t kReadBuffer = 1 << 20;

std::vector<std::string> Producer(size_t mib) {
  if (const char* command = std::getenv("HS_BENCH_PRODUCER")) {
    return {"sh", "-c", command};
  }
  // dd writes 1 MiB blocks of zeros: the producer itself is far faster than either path.
  return {"dd", "if=/dev/zero", "bs=1M", "count=" + std::to_string(mib), "status=none"};
}

struct Measured {
  double mb_per_second = 0;
  size_t bytes = 0;
};

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

Result<size_t> Drain(hasteward::core::ByteSource& source) {
  std::vector<uint8_t> buffer(kReadBuffer);
  size_t total = 0;
  for (;;) {
    HS_ASSIGN_OR_RETURN(size_t got, source.Read(buffer));
    if (got == 0) {
      return total;
    }
    total += got;
  }
}

Result<Measured> LocalPipe(size_t mib) {
  hasteward::core::SubprocessOptions options;
  options.argv = Producer(mib);
  auto start = std::chrono::steady_clock::now();
  HS_ASSIGN_OR_RETURN(auto process, hasteward::core::Subprocess::Start(options));
  hasteward::core::ProcessSource source(std::move(process));
  HS_ASSIGN_OR_RETURN(size_t bytes, Drain(source));
  return Measured{static_cast<double>(bytes) / 1e6 / Seconds(start), bytes};
}

Result<Measured> ThroughExec(const k8s::KubeClient& client, size_t mib) {
  auto start = std::chrono::steady_clock::now();
  HS_ASSIGN_OR_RETURN(auto exec,
                      k8s::PodExec::Start(client, {"default", "db-0", "", Producer(mib), false}));
  k8s::PodExecSource source(std::move(exec));
  HS_ASSIGN_OR_RETURN(size_t bytes, Drain(source));
  if (std::getenv("HS_BENCH_PRODUCER") == nullptr && bytes != mib << 20) {
    return hasteward::core::Internal("short exec stream: " + std::to_string(bytes));
  }
  return Measured{static_cast<double>(bytes) / 1e6 / Seconds(start), bytes};
}

}  // namespace

int main(int argc, char** argv) {
  const size_t mib = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 1024;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 3;
  auto api = hasteward::testing::FakeKubeApi::Start();
  if (!api.ok()) {
    std::fprintf(stderr, "%s\n", api.status().ToString().c_str());
    return 1;
  }
  (void)(*api)->CreateForTest({{"apiVersion", "v1"},
                               {"kind", "Pod"},
                               {"metadata", {{"name", "db-0"}}},
                               {"spec", {{"containers", {{{"name", "db"}}}}}}});
  auto config = k8s::LoadKubeconfig(*(*api)->WriteKubeconfig((*api)->admin_token()));
  if (!config.ok()) {
    std::fprintf(stderr, "%s\n", config.status().ToString().c_str());
    return 1;
  }
  k8s::KubeClient client(*config);
  double best_pipe = 0;
  double best_exec = 0;
  for (int round = 0; round < rounds; ++round) {
    auto pipe = LocalPipe(mib);
    auto exec = ThroughExec(client, mib);
    if (!pipe.ok() || !exec.ok()) {
      std::fprintf(stderr, "failed: %s %s\n", pipe.status().ToString().c_str(),
                   exec.status().ToString().c_str());
      return 1;
    }
    if (pipe->bytes != exec->bytes) {
      std::fprintf(stderr, "the paths delivered different sizes: pipe %zu, exec %zu bytes\n",
                   pipe->bytes, exec->bytes);
      return 1;
    }
    std::printf(
        "round %d, %zu bytes: local pipe %.0f MB/s, exec over TLS WebSocket %.0f MB/s "
        "(%.0f %%)\n",
        round + 1, pipe->bytes, pipe->mb_per_second, exec->mb_per_second,
        100.0 * exec->mb_per_second / pipe->mb_per_second);
    best_pipe = std::max(best_pipe, pipe->mb_per_second);
    best_exec = std::max(best_exec, exec->mb_per_second);
  }
  std::printf(
      "best of %d (%zu MiB requested; 0 = the producer's own size): local pipe %.0f MB/s, exec "
      "%.0f MB/s, ratio %.0f %%\n",
      rounds, mib, best_pipe, best_exec, 100.0 * best_exec / best_pipe);
  return 0;
}
