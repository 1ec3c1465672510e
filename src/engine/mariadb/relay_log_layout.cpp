#include "engine/mariadb/relay_log_layout.h"

#include <cstdio>

#include <zlib.h>

#include "engine/mariadb/binlog_events.h"
#include "engine/mariadb/probe_account.h"

namespace hasteward::engine::mariadb {

namespace {

constexpr size_t kEventHeaderSize = 19;
constexpr uint64_t kMagicSize = 4;

void AppendLittleEndian(std::string& out, uint64_t value, size_t width) {
  for (size_t byte = 0; byte < width; ++byte) {
    out.push_back(static_cast<char>((value >> (8 * byte)) & 0xff));
  }
}

uint64_t ReadLittleEndian(std::string_view bytes, size_t at, size_t width) {
  uint64_t value = 0;
  for (size_t byte = width; byte > 0; --byte) {
    value = (value << 8) | static_cast<uint8_t>(bytes[at + byte - 1]);
  }
  return value;
}

std::string WithoutTrailingSlash(std::string path) {
  while (path.size() > 1 && path.back() == '/') {
    path.pop_back();
  }
  return path;
}

// `path` relative to `dir` when it is a plain file directly in it; "" otherwise.
std::string FileIn(const std::string& dir, const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos || WithoutTrailingSlash(path.substr(0, slash + 1)) != dir) {
    return "";
  }
  return path.substr(slash + 1);
}

std::string Numbered(const std::string& name, size_t number) {
  char suffix[16];
  std::snprintf(suffix, sizeof(suffix), ".%06zu", number);
  return name + suffix;
}

}  // namespace

core::Result<RelayLogLayout> PlanRelayLogLayout(const RelayLogSettings& settings,
                                                size_t file_count) {
  const std::string datadir = WithoutTrailingSlash(settings.datadir);
  const std::string basename = FileIn(datadir, settings.relay_log_basename);
  std::string index_path = settings.relay_log_index.empty() ? settings.relay_log_basename + ".index"
                                                            : settings.relay_log_index;
  if (!index_path.empty() && index_path.front() != '/') {
    index_path = datadir + "/" + index_path;
  }
  RelayLogLayout layout;
  layout.index_file = FileIn(datadir, index_path);
  if (datadir.empty() || basename.empty() || layout.index_file.empty() || file_count == 0 ||
      file_count > 999999) {
    return core::Usage("the relay log ('" + settings.relay_log_basename + "', index '" +
                       index_path + "') is not in the data directory '" + settings.datadir + "'");
  }
  // The server writes its index the way the relay_log option names the files: relative to the
  // data directory ("./relay-bin.000001") unless the option is an absolute path.
  const bool absolute = !settings.relay_log.empty() && settings.relay_log.front() == '/';
  for (size_t number = 1; number <= file_count; ++number) {
    layout.files.push_back(Numbered(basename, number));
    layout.index_content +=
        (absolute ? datadir + "/" : std::string("./")) + layout.files.back() + "\n";
  }
  layout.first_name = layout.files.front();
  return layout;
}

uint32_t ReplayServerId(uint32_t own, const std::set<uint32_t>& event_server_ids) {
  if (event_server_ids.count(own) == 0) {
    return own;
  }
  // server_id is 1..2^32-1; 0 would refuse to act as a replica. Searching down from the top
  // finds an unused one at once in practice (clusters number their servers from 1).
  for (uint32_t candidate = 4294967295U; candidate > 0; --candidate) {
    if (event_server_ids.count(candidate) == 0) {
      return candidate;
    }
  }
  return own;  // unreachable: a set cannot hold every id
}

std::string ChangeMasterToRelayLogs(const RelayLogLayout& layout) {
  // The host is never contacted: only the SQL thread starts. A name that cannot resolve
  // (RFC 2606 .invalid) keeps an accidental START SLAVE from reaching any server.
  return "CHANGE MASTER TO MASTER_HOST='hasteward-replay.invalid', MASTER_USE_GTID=no, "
         "RELAY_LOG_FILE=" +
         SqlQuote(layout.first_name) + ", RELAY_LOG_POS=4";
}

std::string SourceRotateEvent(const std::string& name, uint32_t server_id, bool checksums) {
  constexpr uint8_t kRotateType = 4;
  constexpr uint16_t kArtificialFlag = 0x20;  // LOG_EVENT_ARTIFICIAL_F: made up, not logged
  constexpr uint64_t kFirstEventPosition = 4;
  const size_t size = kEventHeaderSize + 8 + name.size() + (checksums ? 4 : 0);
  std::string event;
  AppendLittleEndian(event, 0, 4);  // timestamp: none
  AppendLittleEndian(event, kRotateType, 1);
  AppendLittleEndian(event, server_id, 4);
  AppendLittleEndian(event, size, 4);
  AppendLittleEndian(event, 0, 4);  // log_pos 0: not in the source's binlog
  AppendLittleEndian(event, kArtificialFlag, 2);
  AppendLittleEndian(event, kFirstEventPosition, 8);
  event += name;
  if (checksums) {
    auto crc = ::crc32_z(0L, Z_NULL, 0);
    crc = ::crc32_z(crc, reinterpret_cast<const Bytef*>(event.data()), event.size());
    AppendLittleEndian(event, crc, 4);
  }
  return event;
}

core::Result<std::string> RelayLogFromBinlog(std::string binlog, const std::string& name) {
  auto header = ReadBinlogHeader(binlog);
  if (!header.ok()) {
    // A replay file is whole: a header too short to read is damage, not "read more".
    return core::Status(core::ErrorCode::kCorruption,
                        "replay file '" + name + "': " + header.status().message());
  }
  // The format description is the first event, after the 4-byte magic; ReadBinlogHeader checked
  // it, so its size field is within the file.
  const uint64_t description_end = kMagicSize + ReadLittleEndian(binlog, kMagicSize + 9, 4);
  binlog.insert(description_end, SourceRotateEvent(name, header->server_id, header->checksums));
  return binlog;
}

}  // namespace hasteward::engine::mariadb
