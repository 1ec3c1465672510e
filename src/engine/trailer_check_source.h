#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/byte_stream.h"
#include "core/status.h"

namespace hasteward::engine {

// A ByteSource decorator that proves a dump is complete. It passes bytes through unchanged and
// keeps only the first and last kKeepBytes of the stream (bounded memory, whatever the dump size).
// When the inner source reports a clean end of stream, the kept tail must contain `end_marker`
// (pg_dumpall: "PostgreSQL database cluster dump complete", mariadb-dump: "-- Dump completed");
// otherwise Read returns kDumpFailed naming the tool, the cause and `stderr_tail()` (if given)
// instead of end of stream. Errors of the inner source are passed through (and repeated by later
// reads). Not thread-safe.
class TrailerCheckSource : public core::ByteSource {
 public:
  static constexpr size_t kKeepBytes = 4096;

  TrailerCheckSource(std::unique_ptr<core::ByteSource> inner, std::string tool,
                     std::string end_marker, std::function<std::string()> stderr_tail = {});

  core::Result<size_t> Read(std::span<uint8_t> buf) override;

  // First / last (up to) kKeepBytes seen so far.
  const std::string& head() const { return head_; }
  const std::string& tail() const { return tail_; }
  uint64_t bytes_read() const { return bytes_read_; }
  // True once the stream ended with its marker.
  bool complete() const { return complete_; }

 private:
  void Keep(const uint8_t* data, size_t n);

  std::unique_ptr<core::ByteSource> inner_;
  std::string tool_;
  std::string end_marker_;
  std::function<std::string()> stderr_tail_;
  std::string head_;
  std::string tail_;
  uint64_t bytes_read_ = 0;
  bool complete_ = false;
  core::Status failure_;
};

}  // namespace hasteward::engine
