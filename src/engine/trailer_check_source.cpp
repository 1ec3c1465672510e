#include "engine/trailer_check_source.h"

#include <algorithm>

namespace hasteward::engine {

namespace {

std::string TrimmedTail(std::string s, size_t max) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) {
    s.pop_back();
  }
  if (s.size() > max) {
    s = "..." + s.substr(s.size() - max);
  }
  return s;
}

}  // namespace

TrailerCheckSource::TrailerCheckSource(std::unique_ptr<core::ByteSource> inner, std::string tool,
                                       std::string end_marker,
                                       std::function<std::string()> stderr_tail)
    : inner_(std::move(inner)),
      tool_(std::move(tool)),
      end_marker_(std::move(end_marker)),
      stderr_tail_(std::move(stderr_tail)) {}

void TrailerCheckSource::Keep(const uint8_t* data, size_t n) {
  const char* p = reinterpret_cast<const char*>(data);
  if (head_.size() < kKeepBytes) {
    head_.append(p, std::min(n, kKeepBytes - head_.size()));
  }
  size_t take = std::min(n, kKeepBytes);
  tail_.append(p + (n - take), take);
  if (tail_.size() > kKeepBytes) {
    tail_.erase(0, tail_.size() - kKeepBytes);
  }
}

core::Result<size_t> TrailerCheckSource::Read(std::span<uint8_t> buf) {
  if (!failure_.ok()) {
    return failure_;
  }
  if (complete_) {
    return size_t{0};
  }
  auto n = inner_->Read(buf);
  if (!n.ok()) {
    failure_ = n.status();
    return n.TakeStatus();
  }
  if (*n > 0) {
    Keep(buf.data(), *n);
    bytes_read_ += *n;
    return *n;
  }
  if (tail_.find(end_marker_) != std::string::npos) {
    complete_ = true;
    return size_t{0};
  }
  std::string cause = bytes_read_ == 0 ? "produced no output"
                                       : "ended after " + std::to_string(bytes_read_) +
                                             " bytes without its end marker '" + end_marker_ + "'";
  std::string err = stderr_tail_ ? TrimmedTail(stderr_tail_(), 2000) : std::string();
  failure_ = core::Status(core::ErrorCode::kDumpFailed,
                          "dump by '" + tool_ + "' is incomplete: the stream " + cause +
                              (err.empty() ? "" : ": " + err),
                          "the dump was not saved; check the database server's log and retry");
  return failure_;
}

}  // namespace hasteward::engine
