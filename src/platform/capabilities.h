// What a platform can do with an instance, declared by the platform and asked by engines and jobs
// (instead of switching on which platform it is), as DuckDB asks a file system CanHandleFile and
// pgBackRest asks a storage driver for its feature bits.
#pragma once

#include <cstdint>
#include <string>

namespace hasteward::platform {

enum class Capability : uint8_t {
  // Start/Stop/Fence act on the server process and IsRunning reports it.
  kCanStartStop,
  // Something other than HASteward restarts a stopped server (a Kubernetes operator restarts its
  // pods): a plain stop does not keep an instance down, so repair must Fence it instead.
  kOperatorOwnsLifecycle,
  // The instance's paths (data_dir, config_file, log_file) are paths on this machine, so tools run
  // by HASteward itself can open them (not only commands run through Exec).
  kLocalFilesystem,
  // ReadDataFile/WriteDataFile work (native backups, PITR, Galera's grastate.dat).
  kDataDirFiles,
};

// "can-start-stop", "operator-owns-lifecycle", "local-filesystem", "data-dir-files".
const char* CapabilityName(Capability capability);

// A small set of capabilities (a bit mask over Capability).
class Capabilities {
 public:
  constexpr Capabilities() = default;
  constexpr Capabilities(std::initializer_list<Capability> list) {
    for (Capability c : list) {
      bits_ |= Bit(c);
    }
  }
  constexpr bool Has(Capability c) const { return (bits_ & Bit(c)) != 0; }
  constexpr Capabilities With(Capability c) const {
    Capabilities out = *this;
    out.bits_ |= Bit(c);
    return out;
  }
  constexpr bool operator==(const Capabilities& other) const = default;
  // Comma-separated names in enum order, "" when empty (for status output and test messages).
  std::string Describe() const;

 private:
  static constexpr uint32_t Bit(Capability c) { return 1U << static_cast<unsigned>(c); }
  uint32_t bits_ = 0;
};

}  // namespace hasteward::platform
