// TCP reachability probes: whether a server accepts connections yet (after a start) or still
// (health). IPv4 literals and "localhost" only, which is what local instances listen on.
#pragma once

#include <chrono>
#include <string>

#include "core/status.h"

namespace hasteward::core {

inline constexpr std::chrono::milliseconds kTcpProbeTimeout{1000};

// Whether a TCP connection to host:port succeeds within `timeout`. A peer that drops the SYN (a
// network partition) is a "no" after `timeout`, not after the kernel's two minutes of retries.
bool TcpAccepts(const std::string& host, int port,
                std::chrono::milliseconds timeout = kTcpProbeTimeout);

// Polls TcpAccepts until it succeeds; kTimeout naming `what` after `timeout`.
Status WaitForTcp(const std::string& host, int port, std::chrono::milliseconds timeout,
                  const std::string& what);

}  // namespace hasteward::core
