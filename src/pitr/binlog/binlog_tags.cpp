#include "pitr/binlog/binlog_tags.h"

#include <algorithm>
#include <charconv>
#include <vector>

namespace hasteward::pitr {

namespace {

template <typename Number>
bool ParseNumber(const std::string& text, Number* out) {
  if (text.empty()) {
    return false;
  }
  const char* end = text.data() + text.size();
  auto [last, error] = std::from_chars(text.data(), end, *out);
  return error == std::errc() && last == end;
}

// The first `count` '/'-separated fields of `value`, then the rest (the file key, which is
// last so that nothing in it can shift the fields).
std::optional<std::vector<std::string>> SplitFields(const std::string& value, size_t count) {
  std::vector<std::string> fields;
  size_t from = 0;
  for (size_t field = 0; field < count; ++field) {
    size_t slash = value.find('/', from);
    if (slash == std::string::npos) {
      return std::nullopt;
    }
    fields.push_back(value.substr(from, slash - from));
    from = slash + 1;
  }
  fields.push_back(value.substr(from));
  return fields;
}

}  // namespace

std::string StateToTag(const std::string& state) {
  std::string value = state;
  std::replace(value.begin(), value.end(), ',', '+');
  return value;
}

std::string StateFromTag(const std::string& value) {
  std::string state = value;
  std::replace(state.begin(), state.end(), '+', ',');
  return state;
}

std::string BinlogPieceTag(const catalog::BinlogPiece& piece) {
  return std::string(kBinlogPieceTag) + "=" + std::to_string(piece.start) + "-" +
         std::to_string(piece.end) + "/" + (piece.sealed ? "sealed" : "open") + "/" +
         std::to_string(piece.archived_at_ns) + "/" + std::to_string(piece.last_time) + "/" +
         StateToTag(piece.gtid_state_after) + "/" + piece.identity.Key();
}

std::optional<BinlogPieceFacts> ParseBinlogPieceTag(const std::string& value) {
  auto fields = SplitFields(value, 5);
  if (!fields) {
    return std::nullopt;
  }
  const std::string& range = (*fields)[0];
  size_t dash = range.find('-');
  BinlogPieceFacts facts;
  if (dash == std::string::npos || !ParseNumber(range.substr(0, dash), &facts.start) ||
      !ParseNumber(range.substr(dash + 1), &facts.end) || facts.end < facts.start) {
    return std::nullopt;
  }
  if ((*fields)[1] != "sealed" && (*fields)[1] != "open") {
    return std::nullopt;
  }
  facts.sealed = (*fields)[1] == "sealed";
  if (!ParseNumber((*fields)[2], &facts.archived_at_ns) ||
      !ParseNumber((*fields)[3], &facts.last_time)) {
    return std::nullopt;
  }
  facts.state_after = StateFromTag((*fields)[4]);
  facts.file_key = (*fields)[5];
  if (facts.file_key.empty()) {
    return std::nullopt;
  }
  return facts;
}

}  // namespace hasteward::pitr
