#include "engine/mariadb/relay_log_layout.h"

#include <cstdio>

#include "engine/mariadb/probe_account.h"

namespace hasteward::engine::mariadb {

namespace {

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
  std::string index_path = settings.relay_log_index.empty()
                               ? settings.relay_log_basename + ".index"
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
  layout.last_name = layout.files.back();
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

std::string StartSqlThreadUntil(const RelayLogLayout& layout, uint64_t last_size) {
  return "START SLAVE SQL_THREAD UNTIL RELAY_LOG_FILE=" + SqlQuote(layout.last_name) +
         ", RELAY_LOG_POS=" + std::to_string(last_size);
}

}  // namespace hasteward::engine::mariadb
