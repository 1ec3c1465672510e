// pitr/wal/segment_sink: an in-memory sink for one archived file of known size. Its buffer is
// sized up front and moved out whole, so a 16 MiB segment read ahead is neither copied as the
// buffer grows nor copied again when handed on (copies and the page faults of fresh buffers were
// a visible share of the agent's time per segment).
#pragma once

#include <cstddef>
#include <utility>

#include "core/byte_stream.h"

namespace hasteward::pitr {

class SegmentSink : public core::ByteSink {
 public:
  explicit SegmentSink(size_t expected_size) { data_.reserve(expected_size); }
  core::Status Write(core::ByteView data) override {
    data_.insert(data_.end(), data.begin(), data.end());
    return core::Status::Ok();
  }
  core::Status Close() override { return core::Status::Ok(); }
  // The bytes written, moved out; the sink is empty after.
  core::Bytes Take() { return std::move(data_); }

 private:
  core::Bytes data_;
};

}  // namespace hasteward::pitr
