#include "platform/capabilities.h"

#include <array>

namespace hasteward::platform {

namespace {

constexpr std::array kAll = {Capability::kCanStartStop, Capability::kOperatorOwnsLifecycle,
                             Capability::kLocalFilesystem, Capability::kDataDirFiles};

}  // namespace

const char* CapabilityName(Capability capability) {
  switch (capability) {
    case Capability::kCanStartStop: return "can-start-stop";
    case Capability::kOperatorOwnsLifecycle: return "operator-owns-lifecycle";
    case Capability::kLocalFilesystem: return "local-filesystem";
    case Capability::kDataDirFiles: return "data-dir-files";
  }
  return "unknown";
}

std::string Capabilities::Describe() const {
  std::string out;
  for (Capability c : kAll) {
    if (Has(c)) {
      out += (out.empty() ? "" : ",") + std::string(CapabilityName(c));
    }
  }
  return out;
}

}  // namespace hasteward::platform
