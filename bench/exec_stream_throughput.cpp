// Exec streaming throughput: a producer in a "pod" (FakeKubeApi backs it with a local process)
// streams N bytes of stdout through the WebSocket exec channel over TLS into a counting sink,
// against the same producer read through a local pipe. Prints MB/s for both and the ratio
// (issue #16 target: exec >= 90 % of the pipe).
// Run: build/bench/exec_stream_bench [MiB, default 1024] [rounds, default 3]
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
  // dd writes 1 MiB blocks of zeros: the producer itself is far faster than either path.
  return {"dd", "if=/dev/zero", "bs=1M", "count=" + std::to_string(mib), "status=none"};
}

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

Result<double> LocalPipe(size_t mib) {
  hasteward::core::SubprocessOptions options;
  options.argv = Producer(mib);
  auto start = std::chrono::steady_clock::now();
  HS_ASSIGN_OR_RETURN(auto process, hasteward::core::Subprocess::Start(options));
  hasteward::core::ProcessSource source(std::move(process));
  HS_ASSIGN_OR_RETURN(size_t bytes, Drain(source));
  return static_cast<double>(bytes) / 1e6 / Seconds(start);
}

Result<double> ThroughExec(const k8s::KubeClient& client, size_t mib) {
  auto start = std::chrono::steady_clock::now();
  HS_ASSIGN_OR_RETURN(auto exec,
                      k8s::PodExec::Start(client, {"default", "db-0", "", Producer(mib), false}));
  k8s::PodExecSource source(std::move(exec));
  HS_ASSIGN_OR_RETURN(size_t bytes, Drain(source));
  if (bytes != mib << 20) {
    return hasteward::core::Internal("short exec stream: " + std::to_string(bytes));
  }
  return static_cast<double>(bytes) / 1e6 / Seconds(start);
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
    std::printf("round %d: local pipe %.0f MB/s, exec over TLS WebSocket %.0f MB/s (%.0f %%)\n",
                round + 1, *pipe, *exec, 100.0 * *exec / *pipe);
    best_pipe = std::max(best_pipe, *pipe);
    best_exec = std::max(best_exec, *exec);
  }
  std::printf("best of %d, %zu MiB: local pipe %.0f MB/s, exec %.0f MB/s, ratio %.0f %%\n", rounds,
              mib, best_pipe, best_exec, 100.0 * best_exec / best_pipe);
  return 0;
}
