#include "engine/mariadb/last_transaction_split.h"

#include <sstream>

#include "core/atomic_file.h"
#include "core/fd.h"

namespace hasteward::engine::mariadb {

namespace {

constexpr uint64_t kMagicSize = 4;
constexpr uint64_t kEventHeaderSize = 19;
constexpr size_t kEventTypeAt = 4;
constexpr size_t kServerIdAt = 5;
constexpr size_t kEventSizeAt = 9;
constexpr uint8_t kGtidEventType = 162;

uint64_t LittleEndianAt(std::string_view bytes, uint64_t at, size_t width) {
  uint64_t value = 0;
  for (size_t byte = width; byte > 0; --byte) {
    value = (value << 8) | static_cast<uint8_t>(bytes[at + byte - 1]);
  }
  return value;
}

// The offsets of the GTID events (each starts a transaction) in a replay file, found by following
// the event sizes only: a replay file's positions are the original file's, with gaps.
core::Result<std::vector<uint64_t>> TransactionStarts(std::string_view file) {
  std::vector<uint64_t> starts;
  for (uint64_t at = kMagicSize; at < file.size();) {
    const uint64_t remaining = file.size() - at;
    const uint64_t size =
        remaining < kEventHeaderSize ? 0 : LittleEndianAt(file, at + kEventSizeAt, 4);
    if (size < kEventHeaderSize || size > remaining) {
      return core::Corruption("replay file: the event at offset " + std::to_string(at) +
                              " does not fit in the file");
    }
    if (static_cast<uint8_t>(file[at + kEventTypeAt]) == kGtidEventType) {
      starts.push_back(at);
    }
    at += size;
  }
  return starts;
}

core::Status WritePrivate(const std::string& path, const std::string& bytes) {
  core::AtomicFileOptions options;
  options.mode = 0600;  // the cluster's data
  return core::WriteFileAtomically(path, core::AsBytes(bytes), options);
}

}  // namespace

core::Result<LastTransactionSplit> SplitOffLastTransaction(const std::vector<std::string>& paths,
                                                           const std::string& dir) {
  std::vector<std::string> files;
  std::vector<std::vector<uint64_t>> starts;
  for (const auto& path : paths) {
    HS_ASSIGN_OR_RETURN(std::string bytes, core::ReadFileToString(path));
    HS_ASSIGN_OR_RETURN(std::vector<uint64_t> found, TransactionStarts(bytes));
    files.push_back(std::move(bytes));
    starts.push_back(std::move(found));
  }
  size_t last_file = files.size();
  for (size_t index = files.size(); index > 0; --index) {
    if (!starts[index - 1].empty()) {
      last_file = index - 1;
      break;
    }
  }
  if (last_file == files.size()) {
    return core::Status(core::ErrorCode::kNotFound, "the replay files hold no transaction");
  }
  LastTransactionSplit split;
  for (size_t index = 0; index < last_file; ++index) {
    if (!starts[index].empty()) {
      split.before_paths.push_back(paths[index]);
      split.before_transactions += starts[index].size();
    }
  }
  const std::string& file = files[last_file];
  const uint64_t last_start = starts[last_file].back();
  const uint64_t header_end = starts[last_file].front();
  if (starts[last_file].size() > 1) {
    split.before_paths.push_back(dir + "/before-last.binlog");
    split.before_transactions += starts[last_file].size() - 1;
    HS_TRY(WritePrivate(split.before_paths.back(), file.substr(0, last_start)));
  }
  split.last_path = dir + "/last.binlog";
  std::string last = file.substr(0, header_end);
  last.append(file, last_start, std::string::npos);
  HS_TRY(WritePrivate(split.last_path, last));
  // The GTID event's body: sequence number (8 bytes), then domain (4); the server id is in its
  // header.
  if (file.size() - last_start < kEventHeaderSize + 12) {
    return core::Corruption("replay file: the last GTID event is too short");
  }
  split.last_gtid.server_id =
      static_cast<uint32_t>(LittleEndianAt(file, last_start + kServerIdAt, 4));
  split.last_gtid.sequence = LittleEndianAt(file, last_start + kEventHeaderSize, 8);
  split.last_gtid.domain =
      static_cast<uint32_t>(LittleEndianAt(file, last_start + kEventHeaderSize + 8, 4));
  return split;
}

std::string StateBeforeLast(const std::string& state_after, const BinlogGtid& last) {
  std::istringstream entries(state_after);
  std::string out;
  const std::string domain_prefix = std::to_string(last.domain) + "-";
  for (std::string entry; std::getline(entries, entry, ',');) {
    if (entry.rfind(domain_prefix, 0) == 0) {
      if (last.sequence <= 1) {
        continue;  // nothing of this domain before it
      }
      entry = domain_prefix + std::to_string(last.server_id) + "-" +
              std::to_string(last.sequence - 1);
    }
    out += (out.empty() ? "" : ",") + entry;
  }
  return out;
}

}  // namespace hasteward::engine::mariadb
