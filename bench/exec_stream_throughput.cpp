// Exec and port-forward streaming throughput: a producer in a "pod" (a pod on the test node behind
// a real kube-apiserver, RealKubeCluster; its kubelet backs it with a local process) streams N
// bytes of stdout through the WebSocket exec channel over TLS into a counting sink, against the
// same producer read through a local pipe; and the same bytes served on a TCP port of the "pod"
// (its status.podIP is 127.0.0.1) read through a port-forward (PortForwarder: a local listener, one
// pods/portforward WebSocket session over TLS per connection) against a direct TCP connection.
// Prints MB/s for each and the ratios (targets: exec >= 90 % of the pipe, issue #16; port-forward
// >= 90 % of direct TCP, issue #34). Run: build/bench/exec_stream_bench [MiB, default 1024]
// [rounds, default 3] With HS_BENCH_PRODUCER set to a shell command (bench/exec_dump_compare.sh
// passes a pg_dump of a 1 GB database), that command is the producer on both paths instead of dd,
// and both must deliver the same number of bytes.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/fd.h"
#include "core/subprocess.h"
#include "platform/kubernetes/pod_exec.h"
#include "platform/kubernetes/port_forwarder.h"
#include "support/real_kube_node.h"

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
                      k8s::PodExec::Start(client, {"bench", "db-0", "", Producer(mib), false}));
  k8s::PodExecSource source(std::move(exec));
  HS_ASSIGN_OR_RETURN(size_t bytes, Drain(source));
  if (std::getenv("HS_BENCH_PRODUCER") == nullptr && bytes != mib << 20) {
    return hasteward::core::Internal("short exec stream: " + std::to_string(bytes));
  }
  return Measured{static_cast<double>(bytes) / 1e6 / Seconds(start), bytes};
}

// The "pod's" TCP port: each connection gets the producer's whole output, then end of stream.
class ProducerPort {
 public:
  explicit ProducerPort(size_t mib) : mib_(mib) {
    fd_.Reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof(addr);
    // NOLINTBEGIN(*-reinterpret-cast): the sockets API takes sockaddr*
    ::bind(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    ::listen(fd_.get(), 4);
    ::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&addr), &size);
    // NOLINTEND(*-reinterpret-cast)
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~ProducerPort() {
    ::shutdown(fd_.get(), SHUT_RDWR);
    thread_.join();
  }
  int port() const { return port_; }

 private:
  void Serve() {
    for (;;) {
      hasteward::core::UniqueFd conn(::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!conn.valid()) {
        return;
      }
      hasteward::core::SubprocessOptions options;
      options.argv = Producer(mib_);
      auto process = hasteward::core::Subprocess::Start(options);
      if (!process.ok()) {
        continue;
      }
      hasteward::core::ProcessSource source(std::move(*process));
      std::vector<uint8_t> buffer(kReadBuffer);
      for (;;) {
        auto got = source.Read(buffer);
        if (!got.ok() || *got == 0 ||
            !hasteward::core::WriteAll(conn.get(), std::span(buffer).first(*got)).ok()) {
          break;
        }
      }
    }
  }
  size_t mib_;
  hasteward::core::UniqueFd fd_;
  int port_ = 0;
  std::thread thread_;
};

// Reads everything a TCP connection to 127.0.0.1:port delivers.
Result<Measured> ReadTcp(int port) {
  auto start = std::chrono::steady_clock::now();
  hasteward::core::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  // NOLINTNEXTLINE(*-reinterpret-cast): the sockets API takes sockaddr*
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return hasteward::core::ErrnoStatus("connect", errno);
  }
  hasteward::core::FdSource source(fd.get());
  HS_ASSIGN_OR_RETURN(size_t bytes, Drain(source));
  return Measured{static_cast<double>(bytes) / 1e6 / Seconds(start), bytes};
}

}  // namespace

int main(int argc, char** argv) {
  const size_t mib = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 1024;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 3;
  auto kube = hasteward::testing::RealKubeCluster::Start();
  if (!kube.ok()) {
    std::fprintf(stderr, "%s\n", kube.status().ToString().c_str());
    return 1;
  }
  auto ns = (*kube)->api->CreateNamespace("bench");
  auto pod = ns.ok() ? (*kube)->node->AddPod("bench", "db-0", {"db"})
                     : hasteward::core::Result<nlohmann::json>(ns);
  if (!pod.ok()) {
    std::fprintf(stderr, "%s\n", pod.status().ToString().c_str());
    return 1;
  }
  const k8s::KubeClient& client = (*kube)->node->admin();
  ProducerPort pod_port(mib);
  auto forwarder = k8s::PortForwarder::Start(client, {"bench", "db-0", pod_port.port()});
  if (!forwarder.ok()) {
    std::fprintf(stderr, "%s\n", forwarder.status().ToString().c_str());
    return 1;
  }
  double best_pipe = 0;
  double best_exec = 0;
  double best_tcp = 0;
  double best_forward = 0;
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
    auto tcp = ReadTcp(pod_port.port());
    auto forward = ReadTcp((*forwarder)->port());
    if (!tcp.ok() || !forward.ok() || tcp->bytes != pipe->bytes || forward->bytes != pipe->bytes) {
      std::fprintf(stderr, "port path failed or short: %s %s (%zu, %zu bytes)\n",
                   tcp.status().ToString().c_str(), forward.status().ToString().c_str(),
                   tcp.ok() ? tcp->bytes : 0, forward.ok() ? forward->bytes : 0);
      return 1;
    }
    std::printf(
        "round %d, %zu bytes: direct TCP %.0f MB/s, port-forward over TLS WebSocket %.0f MB/s "
        "(%.0f %%)\n",
        round + 1, tcp->bytes, tcp->mb_per_second, forward->mb_per_second,
        100.0 * forward->mb_per_second / tcp->mb_per_second);
    best_tcp = std::max(best_tcp, tcp->mb_per_second);
    best_forward = std::max(best_forward, forward->mb_per_second);
  }
  std::printf(
      "best of %d (%zu MiB requested; 0 = the producer's own size): local pipe %.0f MB/s, exec "
      "%.0f MB/s, ratio %.0f %%\n",
      rounds, mib, best_pipe, best_exec, 100.0 * best_exec / best_pipe);
  std::printf("best of %d: direct TCP %.0f MB/s, port-forward %.0f MB/s, ratio %.0f %%\n", rounds,
              best_tcp, best_forward, 100.0 * best_forward / best_tcp);
  return 0;
}
