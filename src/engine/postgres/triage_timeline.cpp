#include "engine/postgres/triage_timeline.h"

#include <cstdlib>
#include <map>
#include <sstream>

#include "engine/wal_history.h"

namespace hasteward::engine::postgres {

namespace {

std::string Describe(const std::string& name, const Lineage& l) {
  return "'" + name + "' (timeline " + std::to_string(l.timeline) + " at " + FormatLsn(l.lsn) + ")";
}

}  // namespace

std::optional<uint64_t> ParseLsn(const std::string& text) {
  return ParseLsnText(text);
}

std::string FormatLsn(uint64_t lsn) {
  return FormatLsnText(lsn);
}

std::vector<TimelineSwitch> ParseTimelineHistory(const std::string& text) {
  std::vector<TimelineSwitch> out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream f(line);
    std::string tli, lsn;
    if (!(f >> tli >> lsn) || tli.empty() || tli[0] == '#')
      continue;
    char* end = nullptr;
    unsigned long parent = std::strtoul(tli.c_str(), &end, 10);
    auto pos = ParseLsn(lsn);
    if (end == nullptr || *end != '\0' || parent == 0 || !pos)
      continue;
    out.push_back({static_cast<uint32_t>(parent), *pos});
  }
  return out;
}

std::string FormatHistory(const std::vector<TimelineSwitch>& history) {
  std::string out;
  for (const auto& s : history) {
    out += (out.empty() ? "" : ",") + std::to_string(s.parent) + ":" + FormatLsn(s.switch_lsn);
  }
  return out;
}

std::vector<TimelineSwitch> ParseHistoryFact(const std::string& fact) {
  std::vector<TimelineSwitch> out;
  std::istringstream in(fact);
  std::string item;
  while (std::getline(in, item, ',')) {
    auto colon = item.find(':');
    if (colon == std::string::npos)
      continue;
    auto lsn = ParseLsn(item.substr(colon + 1));
    long tli = std::atol(item.substr(0, colon).c_str());
    if (lsn && tli > 0)
      out.push_back({static_cast<uint32_t>(tli), *lsn});
  }
  return out;
}

const char* LineageRelationName(LineageRelation r) {
  switch (r) {
    case LineageRelation::kEqual: return "equal";
    case LineageRelation::kAhead: return "ahead";
    case LineageRelation::kBehind: return "behind";
    case LineageRelation::kForked: return "forked";
    case LineageRelation::kUnknown: return "unknown";
  }
  return "unknown";
}

std::vector<TimelineBranch> HistoryBranches(const std::vector<TimelineSwitch>& history) {
  std::vector<TimelineBranch> out;
  out.reserve(history.size());
  for (const TimelineSwitch& s : history) {
    out.push_back({s.parent, s.switch_lsn});
  }
  return out;
}

LineageRelation CompareLineage(const Lineage& a, const Lineage& b) {
  if (!a.known() || !b.known())
    return LineageRelation::kUnknown;
  // Two read positions on timelines no history relates (kUnknown) are a fork here, like kDiverged:
  // neither may be re-cloned from the other.
  switch (CompareWalPositions({a.timeline, a.lsn}, HistoryBranches(a.history), {b.timeline, b.lsn},
                              HistoryBranches(b.history))) {
    case PositionOrder::kSame: return LineageRelation::kEqual;
    case PositionOrder::kAfter: return LineageRelation::kAhead;
    case PositionOrder::kBefore: return LineageRelation::kBehind;
    default: break;
  }
  return LineageRelation::kForked;
}

std::string RewindSignal(const std::vector<TimelineSwitch>& history) {
  for (size_t n = 1; n < history.size(); ++n) {
    if (history[n].switch_lsn < history[n - 1].switch_lsn) {
      return "timeline " + std::to_string(history[n].parent) + " forked at " +
             FormatLsn(history[n].switch_lsn) + ", behind the earlier fork of timeline " +
             std::to_string(history[n - 1].parent) + " at " + FormatLsn(history[n - 1].switch_lsn) +
             ": the fingerprint of a point-in-time recovery or restore";
    }
  }
  return "";
}

Lineage LineageFromFacts(const InstanceHealth& h) {
  Lineage l;
  l.timeline = static_cast<uint32_t>(std::atol(h.Fact("lineage_timeline").c_str()));
  l.lsn = ParseLsn(h.Fact("position_lsn")).value_or(0);
  l.history = ParseHistoryFact(h.Fact("history"));
  return l;
}

void AddTimelineFindings(const std::vector<InstanceHealth>& instances,
                         std::vector<Finding>* findings, Verdict* verdict) {
  for (size_t a = 0; a < instances.size(); ++a) {
    Lineage la = LineageFromFacts(instances[a]);
    for (size_t b = a + 1; b < instances.size(); ++b) {
      Lineage lb = LineageFromFacts(instances[b]);
      if (CompareLineage(la, lb) != LineageRelation::kForked)
        continue;
      findings->push_back({Severity::kCritical, "",
                           "timelines have forked: " + Describe(instances[a].instance.name, la) +
                               " and " + Describe(instances[b].instance.name, lb) +
                               " each hold WAL the other lacks"});
      Raise(verdict, Verdict::kSplitBrain);
    }
  }
  std::map<std::string, std::string> signals;  // signal -> instances
  for (const auto& i : instances) {
    std::string s = RewindSignal(LineageFromFacts(i).history);
    if (s.empty())
      continue;
    auto& names = signals[s];
    names += (names.empty() ? "'" : ", '") + i.instance.name + "'";
  }
  for (const auto& [signal, names] : signals) {
    std::string text = "timeline history of ";
    text.append(names).append(": ").append(signal).append(
        " (an instance from before the rewind may hold the newest data)");
    findings->push_back({Severity::kWarning, "", std::move(text)});
  }
}

}  // namespace hasteward::engine::postgres
