#include "core/page_buffer.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include <sys/mman.h>
#include <unistd.h>

namespace hasteward::core {

namespace {

size_t PageSize() {
  static const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  return page;
}

}  // namespace

Result<PageBuffer> PageBuffer::Create(size_t capacity) {
  PageBuffer b;
  size_t page = PageSize();
  size_t rounded = (std::max<size_t>(capacity, 1) + page - 1) / page * page;
  void* p = ::mmap(nullptr, rounded, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    return Internal(std::string("cannot map a ") + std::to_string(rounded >> 20) +
                    " MiB buffer: " + std::strerror(errno));
  }
  b.base_ = static_cast<uint8_t*>(p);
  b.capacity_ = rounded;
  return b;
}

PageBuffer::~PageBuffer() {
  Release();
}

PageBuffer::PageBuffer(PageBuffer&& other) noexcept
    : base_(std::exchange(other.base_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      capacity_(std::exchange(other.capacity_, 0)),
      touched_(std::exchange(other.touched_, 0)) {}

PageBuffer& PageBuffer::operator=(PageBuffer&& other) noexcept {
  if (this != &other) {
    Release();
    base_ = std::exchange(other.base_, nullptr);
    size_ = std::exchange(other.size_, 0);
    capacity_ = std::exchange(other.capacity_, 0);
    touched_ = std::exchange(other.touched_, 0);
  }
  return *this;
}

void PageBuffer::Release() {
  if (base_ != nullptr) {
    ::munmap(base_, capacity_);
    base_ = nullptr;
  }
  size_ = capacity_ = touched_ = 0;
}

void PageBuffer::Append(ByteView data) {
  if (data.size() > capacity_ - size_) {
    std::abort();  // a caller bug: the capacity is the caller's contract
  }
  if (!data.empty()) {
    std::memcpy(base_ + size_, data.data(), data.size());
  }
  size_ += data.size();
  touched_ = std::max(touched_, size_);
}

void PageBuffer::Trim(size_t keep) {
  size_t page = PageSize();
  size_t from = (std::max(keep, size_) + page - 1) / page * page;
  if (from < touched_) {
    ::madvise(base_ + from, touched_ - from, MADV_DONTNEED);
    touched_ = from;
  }
}

}  // namespace hasteward::core
