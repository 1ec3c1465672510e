#include "engine/mariadb/failover_choice.h"

#include "engine/mariadb/gtid_compare.h"

namespace hasteward::engine::mariadb {

namespace {

// Why promoting `replicas[chosen]` could lose transactions (empty when it cannot).
std::vector<std::string> Objections(const std::vector<ReplicaPosition>& replicas, size_t chosen) {
  std::vector<std::string> out;
  const ReplicaPosition& choice = replicas[chosen];
  for (size_t i = 0; i < replicas.size(); ++i) {
    const ReplicaPosition& other = replicas[i];
    if (i == chosen)
      continue;
    if (!other.readable) {
      out.push_back("the position of '" + other.name + "' cannot be read (" + other.problem + ")");
      continue;
    }
    GtidOrder order = CompareGtidPositions(other.gtid_position, choice.gtid_position);
    if (order == GtidOrder::kAhead || order == GtidOrder::kDiverged) {
      out.push_back(
          "'" + other.name + "' is " + (order == GtidOrder::kAhead ? "ahead of" : "diverged from") +
          " '" + choice.name + "' (" + other.gtid_position + " vs " + choice.gtid_position + ")");
    }
  }
  return out;
}

// The sum of sequence numbers: only a tie-breaker for a forced choice among diverged replicas.
long TotalSeqno(const std::string& position) {
  long total = 0;
  size_t start = 0;
  while (start <= position.size()) {
    size_t end = position.find(',', start);
    std::string item = position.substr(start, end - start);
    size_t dash = item.rfind('-');
    if (dash != std::string::npos)
      total += std::atol(item.c_str() + dash + 1);
    if (end == std::string::npos)
      break;
    start = end + 1;
  }
  return total;
}

core::Result<size_t> ChooseIndex(const std::vector<ReplicaPosition>& replicas,
                                 const std::string& requested, bool force) {
  if (!requested.empty()) {
    for (size_t i = 0; i < replicas.size(); ++i) {
      if (replicas[i].name != requested)
        continue;
      if (!replicas[i].readable) {
        return core::Status(
            core::ErrorCode::kUnreachable,
            "the requested candidate '" + requested + "' cannot be read: " + replicas[i].problem,
            "start it, or choose another replica with --to");
      }
      return i;
    }
    std::string names;
    for (const auto& r : replicas)
      names += (names.empty() ? "'" : ", '") + r.name + "'";
    return core::NotFound("'" + requested + "' is not a replica of this cluster",
                          "choose one of: " + (names.empty() ? std::string("(none)") : names));
  }
  int best = MostAdvancedReplica(replicas);
  if (best >= 0)
    return static_cast<size_t>(best);
  int fallback = -1;
  for (size_t i = 0; i < replicas.size(); ++i) {
    if (replicas[i].readable &&
        (fallback < 0 || TotalSeqno(replicas[i].gtid_position) >
                             TotalSeqno(replicas[static_cast<size_t>(fallback)].gtid_position))) {
      fallback = static_cast<int>(i);
    }
  }
  if (fallback < 0) {
    return core::Status(core::ErrorCode::kUnreachable, "no replica answers: nothing to promote",
                        "start a replica (hasteward instance start), then run failover again");
  }
  // Diverged replicas: only a forced failover goes on, with the objections listed.
  if (!force) {
    return core::Status(core::ErrorCode::kSafetyStop,
                        "no replica holds every transaction of the others (their positions "
                        "diverged)",
                        "run 'hasteward triage'; --force promotes the one with the most "
                        "transactions and loses the others'");
  }
  return static_cast<size_t>(fallback);
}

}  // namespace

int MostAdvancedReplica(const std::vector<ReplicaPosition>& replicas) {
  for (size_t i = 0; i < replicas.size(); ++i) {
    if (!replicas[i].readable)
      continue;
    bool dominates = true;
    for (size_t j = 0; j < replicas.size() && dominates; ++j) {
      if (j == i || !replicas[j].readable)
        continue;
      GtidOrder order = CompareGtidPositions(replicas[i].gtid_position, replicas[j].gtid_position);
      dominates = order == GtidOrder::kEqual || order == GtidOrder::kAhead;
    }
    if (dominates)
      return static_cast<int>(i);
  }
  return -1;
}

core::Result<FailoverChoice> ChooseFailoverCandidate(const std::vector<ReplicaPosition>& replicas,
                                                     const std::string& requested, bool force) {
  HS_ASSIGN_OR_RETURN(size_t index, ChooseIndex(replicas, requested, force));
  FailoverChoice choice;
  choice.index = index;
  const ReplicaPosition& chosen = replicas[index];
  choice.reason = (requested.empty() ? "most advanced: " : "requested with --to, at ") +
                  (chosen.gtid_position.empty() ? std::string("(empty)") : chosen.gtid_position);
  std::vector<std::string> objections = Objections(replicas, index);
  if (objections.empty())
    return choice;
  std::string list;
  for (const auto& o : objections)
    list += (list.empty() ? "" : "; ") + o;
  if (!force) {
    return core::Status(core::ErrorCode::kSafetyStop,
                        "promoting '" + chosen.name + "' could lose transactions: " + list,
                        "start the unreadable replicas or choose the most advanced one with --to; "
                        "--force promotes '" +
                            chosen.name + "' anyway and loses what only the others hold");
  }
  choice.overridden = std::move(objections);
  choice.reason += " (forced over: " + list + ")";
  return choice;
}

}  // namespace hasteward::engine::mariadb
