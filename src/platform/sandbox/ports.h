#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace hasteward::platform::sandbox {

// `count` distinct loopback TCP ports that are free right now, chosen below the kernel's
// ephemeral range (see SandboxPortRange). All are bound at once while choosing, then released
// together.
//
// Why not bind(0): the kernel hands bind(0) a port from the ephemeral range, the same range it
// draws from for every outgoing connection. A Galera sandbox reserves the ports of all its nodes
// up front and starts them one after another; between reservation and start, the donor's SST and
// gmcast connections (or any other process's) could take a reserved port as their local end and
// the later node could not listen on it. Ports below the ephemeral range are never handed out
// implicitly, so only another listener can take them.
core::Result<std::vector<int>> FreeLoopbackPorts(int count);

// The half-open range [first, last) FreeLoopbackPorts draws from: from 20000 up to the start of
// the kernel's ephemeral range (net.ipv4.ip_local_port_range), read from `range_file`. When the
// file cannot be read or leaves too little room, the range is [20000, 32768).
std::pair<int, int> SandboxPortRange(
    const std::string& range_file = "/proc/sys/net/ipv4/ip_local_port_range");

// Whether 127.0.0.1:port can be bound right now with SO_REUSEADDR (as servers bind): false
// while any socket listens on or is bound to it.
bool PortIsFree(int port);

}  // namespace hasteward::platform::sandbox
