#pragma once

#include <cstdint>
#include <string>

namespace hasteward::core {

// "2026-11-23T08:15:00Z": RFC 3339 in UTC, whole seconds (Kubernetes metav1.Time, our JSON).
std::string Rfc3339Utc(int64_t unix_seconds);

}  // namespace hasteward::core
