#pragma once

#include <memory>
#include <string>

#include "core/byte_stream.h"
#include "core/fd.h"

namespace hasteward::core {

// Writes a file atomically: data goes to "<path>.tmp-<pid>" (mode 0600: exports hold password
// hashes, so only the owner may read them), Close() fsyncs and renames it into place. Destroyed
// without a successful Close (an error mid-way), it removes the temp file, so a failed export never
// leaves a partial file under the final name.
class AtomicFileSink : public ByteSink {
 public:
  static Result<std::unique_ptr<AtomicFileSink>> Create(const std::string& path);
  ~AtomicFileSink() override;
  AtomicFileSink(const AtomicFileSink&) = delete;
  AtomicFileSink& operator=(const AtomicFileSink&) = delete;
  Status Write(ByteView data) override;
  Status Close() override;

 private:
  AtomicFileSink(std::string path, std::string tmp, UniqueFd fd)
      : path_(std::move(path)), tmp_(std::move(tmp)), fd_(std::move(fd)) {}
  std::string path_;
  std::string tmp_;
  UniqueFd fd_;
  bool done_ = false;
};

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
