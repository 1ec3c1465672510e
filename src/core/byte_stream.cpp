#include "core/byte_stream.h"

#include <algorithm>
#include <cstring>

namespace hasteward::core {

Result<size_t> ReadFull(ByteSource& src, std::span<uint8_t> buf) {
  size_t filled = 0;
  while (filled < buf.size()) {
    HS_ASSIGN_OR_RETURN(size_t n, src.Read(buf.subspan(filled)));
    if (n == 0) {
      break;
    }
    filled += n;
  }
  return filled;
}

Result<size_t> MemorySource::Read(std::span<uint8_t> buf) {
  size_t n = std::min(buf.size(), data_.size() - pos_);
  if (n > 0) {
    std::memcpy(buf.data(), data_.data() + pos_, n);
  }
  pos_ += n;
  return n;
}

Status MemorySink::Write(ByteView data) {
  data_.insert(data_.end(), data.begin(), data.end());
  return Status::Ok();
}

}  // namespace hasteward::core
