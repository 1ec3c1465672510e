#pragma once

#include <memory>
#include <string>

#include "core/atomic_file.h"  // AtomicFileSink, the usual inner sink of a GzipSink
#include "core/byte_stream.h"

namespace hasteward::core {

// gzip-compresses into another sink (level 1 by default: dumps are large and gzip is the
// bottleneck above that). Close finishes the gzip stream, then closes the inner sink.
class GzipSink : public ByteSink {
 public:
  explicit GzipSink(std::unique_ptr<ByteSink> inner, int level = 1);
  ~GzipSink() override;
  GzipSink(const GzipSink&) = delete;
  GzipSink& operator=(const GzipSink&) = delete;
  Status Write(ByteView data) override;
  Status Close() override;

 private:
  Status Pump(int flush);
  struct State;
  std::unique_ptr<State> state_;
  std::unique_ptr<ByteSink> inner_;
  bool closed_ = false;
};

// Reads a gzip stream from another source (for loading .sql.gz exports).
class GunzipSource : public ByteSource {
 public:
  explicit GunzipSource(std::unique_ptr<ByteSource> inner);
  ~GunzipSource() override;
  GunzipSource(const GunzipSource&) = delete;
  GunzipSource& operator=(const GunzipSource&) = delete;
  Result<size_t> Read(std::span<uint8_t> buf) override;

 private:
  struct State;
  std::unique_ptr<State> state_;
  std::unique_ptr<ByteSource> inner_;
};

}  // namespace hasteward::core
