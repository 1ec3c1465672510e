#include "engine/postgres/parent_check.h"

#include <cstdlib>
#include <optional>

#include "engine/postgres/triage_timeline.h"

namespace hasteward::engine::postgres {

namespace {

std::string Value(const std::map<std::string, std::string>& facts, const char* key) {
  auto it = facts.find(key);
  return it == facts.end() ? std::string() : it->second;
}

}  // namespace

FullReadReason ParentMismatch(const std::map<std::string, std::string>& parent,
                              const std::map<std::string, std::string>& facts, uint64_t start_lsn,
                              bool full_page_writes) {
  if (Value(parent, "system_identifier") != Value(facts, "system_identifier")) {
    return FullReadReason::kOtherSystem;
  }
  if (Value(parent, "timeline") != Value(facts, "timeline")) {
    return FullReadReason::kTimelineChanged;
  }
  std::optional<uint64_t> parent_start = ParseLsn(Value(parent, "start_lsn"));
  std::optional<uint64_t> parent_stop = ParseLsn(Value(parent, "stop_lsn"));
  // Two backups of one standby may overlap: the parent's copy then ran on past this one's start.
  if (!parent_start || !parent_stop || *parent_start > start_lsn || *parent_stop > start_lsn) {
    return FullReadReason::kParentAhead;
  }
  if (!full_page_writes) {
    return FullReadReason::kNoFullPageWrites;
  }
  // pg_checksums --enable rewrites every page without writing WAL: a parent's pages from before
  // it carry no checksums under a control file that says they are on (and the reverse). A parent
  // that never recorded the state cannot show it is the same.
  const std::string checksums = Value(parent, "data_checksums");
  if (checksums.empty() || checksums != Value(facts, "data_checksums")) {
    return FullReadReason::kChecksumsChanged;
  }
  return FullReadReason::kNone;
}

ParentInterval IntervalOf(const std::map<std::string, std::string>& parent) {
  ParentInterval interval;
  interval.timeline =
      static_cast<uint32_t>(std::strtoul(Value(parent, "timeline").c_str(), nullptr, 10));
  interval.start_lsn = ParseLsn(Value(parent, "start_lsn")).value_or(0);
  interval.stop_lsn = ParseLsn(Value(parent, "stop_lsn")).value_or(0);
  return interval;
}

}  // namespace hasteward::engine::postgres
