#pragma once

#include <vector>

#include "core/status.h"

namespace hasteward::platform::sandbox {

// `count` distinct loopback TCP ports that are free right now: all are bound to 127.0.0.1:0 at
// once (so the kernel hands out distinct ones), read back, then released together.
core::Result<std::vector<int>> FreeLoopbackPorts(int count);

// Whether 127.0.0.1:port can be bound right now with SO_REUSEADDR (as servers bind): false
// while any socket listens on or is bound to it.
bool PortIsFree(int port);

}  // namespace hasteward::platform::sandbox
