#include "engine/postgres/archive_end_proof.h"

#include <ctime>
#include <regex>

#include "engine/client_tools.h"

namespace hasteward::engine::postgres {

namespace {

// $0 pg_waldump, $1 a scratch directory, $2 the fetch command (writing into it), $3 the file
// name, then pg_waldump's options. Prints "hasteward-fetch-failed <exit>" when the fetch failed.
constexpr char kDumpArchived[] =
    "d=\"$1\"; fetch=\"$2\"; f=\"$3\"; shift 3; rm -rf -- \"$d\"; mkdir -p -- \"$d\" || exit 1; "
    "sh -c \"$fetch\" || { rc=$?; rm -rf -- \"$d\"; echo \"hasteward-fetch-failed $rc\"; exit 0; "
    "}; TZ=UTC \"$0\" -p \"$d\" \"$@\" \"$f\" 2>&1; rm -rf -- \"$d\"; true";

}  // namespace

core::Result<std::string> DumpArchivedFile(platform::Platform& platform,
                                           const platform::Cluster& cluster,
                                           const ArchivedFileRead& read,
                                           const std::vector<std::string>& waldump_args) {
  const std::string& name = read.name;
  std::vector<std::string> argv = {
      "sh",          "-c",
      kDumpArchived, ToolPath(*read.instance, "pg_waldump"),
      read.scratch,  ExpandRestoreCommand(read.restore_command, name, read.scratch + "/" + name),
      name};
  argv.insert(argv.end(), waldump_args.begin(), waldump_args.end());
  HS_ASSIGN_OR_RETURN(std::string out, RunOnInstance(platform, cluster, *read.instance, argv));
  if (out.rfind("hasteward-fetch-failed", 0) == 0) {
    return core::Status(
        core::ErrorCode::kStorage,
        "fetching the archived '" + name + "' failed (" + out.substr(0, out.find('\n')) + ")",
        "check the repository ('hasteward check', 'hasteward pitr status')");
  }
  return out;
}

bool HoldsTransaction(std::string_view output, const TransactionQuery& query) {
  static const std::regex kRecord(
      R"(prev ([0-9A-F]{1,8})/([0-9A-F]{1,8}), desc: (?:COMMIT|ABORT)(?:_PREPARED)? (?:\d+: )?(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))? UTC)");
  const std::string text(output);
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kRecord);
       it != std::sregex_iterator(); ++it) {
    const std::smatch& m = *it;
    const uint64_t prev = (std::stoull(m[1], nullptr, 16) << 32) | std::stoull(m[2], nullptr, 16);
    if (query.reached_before_switch && prev >= *query.reached_before_switch) {
      continue;  // the child timeline's replay never reads it
    }
    std::tm civil{};
    civil.tm_year = std::stoi(m[3]) - 1900;
    civil.tm_mon = std::stoi(m[4]) - 1;
    civil.tm_mday = std::stoi(m[5]);
    civil.tm_hour = std::stoi(m[6]);
    civil.tm_min = std::stoi(m[7]);
    civil.tm_sec = std::stoi(m[8]);
    std::string fraction = m[9].matched ? m[9].str() : "";
    fraction.resize(6, '0');
    const int64_t micros = static_cast<int64_t>(::timegm(&civil)) * 1000000 + std::stoll(fraction);
    if (micros >= query.at_or_after_micros) {
      return true;
    }
  }
  return false;
}

ReplayEndVerdict JudgeReplayEnd(uint64_t replay_end, uint64_t segment_start,
                                uint64_t segment_bytes) {
  if (replay_end >= segment_start + segment_bytes) {
    return ReplayEndVerdict::kConsumed;
  }
  // Exactly at the segment's start is the end of the segment before (after its switch record):
  // nothing of the newest segment was replayed.
  if (replay_end <= segment_start) {
    return ReplayEndVerdict::kStoppedBefore;
  }
  return ReplayEndVerdict::kReadSegment;
}

bool WaldumpShowsRecords(std::string_view output) {
  for (size_t at = 0; at < output.size();) {
    size_t end = output.find('\n', at);
    std::string_view line =
        output.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
    if (line.rfind("rmgr:", 0) == 0) {
      return true;
    }
    if (end == std::string_view::npos) {
      break;
    }
    at = end + 1;
  }
  return false;
}

std::string ExpandRestoreCommand(std::string_view command, const std::string& file,
                                 const std::string& path) {
  std::string out;
  for (size_t i = 0; i < command.size(); ++i) {
    if (command[i] == '%' && i + 1 < command.size()) {
      const char next = command[i + 1];
      if (next == 'f' || next == 'p' || next == '%') {
        out += next == 'f' ? file : next == 'p' ? path : "%";
        ++i;
        continue;
      }
    }
    out += command[i];
  }
  return out;
}

}  // namespace hasteward::engine::postgres
