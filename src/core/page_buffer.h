#pragma once

#include <cstddef>
#include <cstdint>

#include "core/byte_stream.h"
#include "core/status.h"

namespace hasteward::core {

// A fixed-capacity byte buffer on its own anonymous mapping. Streams that hand large blocks
// between threads recycle these: the capacity is address space only (pages are mapped as bytes
// are written), appending never reallocates or copies, and unlike heap blocks the pages go back
// to the system as soon as the buffer is released or trimmed, so resident memory follows what
// is actually held. Move-only.
class PageBuffer {
 public:
  PageBuffer() = default;
  // kInternal when the mapping fails (out of address space).
  static Result<PageBuffer> Create(size_t capacity);
  ~PageBuffer();
  PageBuffer(PageBuffer&& other) noexcept;
  PageBuffer& operator=(PageBuffer&& other) noexcept;
  PageBuffer(const PageBuffer&) = delete;
  PageBuffer& operator=(const PageBuffer&) = delete;

  // Appends; the caller keeps size() + data.size() <= capacity() (checked, aborts otherwise:
  // overrunning would be a logic error, not an input error).
  void Append(ByteView data);
  void Clear() { size_ = 0; }
  // Returns the pages past the first `keep` bytes to the system (they read as zero if touched
  // again). Bytes past size() only.
  void Trim(size_t keep);

  const uint8_t* data() const { return base_; }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  // Bytes of this buffer that may be resident (the high-water mark since the last Trim).
  size_t touched() const { return touched_; }
  ByteView view() const { return ByteView(base_, size_); }
  explicit operator ByteView() const { return view(); }

 private:
  void Release();
  uint8_t* base_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
  size_t touched_ = 0;
};

}  // namespace hasteward::core
