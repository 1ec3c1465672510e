#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"

namespace hasteward::core {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

inline ByteView AsBytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string AsString(ByteView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// A pull source of bytes (stdin, a dump process's stdout, a file). Read returns the number of bytes
// placed in `buf`; 0 means end of stream. A source whose producer failed reports it as an error,
// at the latest from the read that would otherwise return end of stream, so a failed producer is
// never mistaken for a short but complete stream.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual Result<size_t> Read(std::span<uint8_t> buf) = 0;
};

// A push sink (stdout, a file, a restore process's stdin). Close flushes and reports the final
// outcome (for a process: its exit status); writing after Close is an error.
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual Status Write(ByteView data) = 0;
  virtual Status Close() = 0;
};

// Fills `buf` completely unless the stream ends first; returns the number of bytes read.
Result<size_t> ReadFull(ByteSource& src, std::span<uint8_t> buf);

// In-memory source/sink for tests and small payloads.
class MemorySource : public ByteSource {
 public:
  explicit MemorySource(Bytes data) : data_(std::move(data)) {}
  Result<size_t> Read(std::span<uint8_t> buf) override;

 private:
  Bytes data_;
  size_t pos_ = 0;
};

class MemorySink : public ByteSink {
 public:
  Status Write(ByteView data) override;
  Status Close() override { return Status::Ok(); }
  const Bytes& data() const { return data_; }

 private:
  Bytes data_;
};

}  // namespace hasteward::core
