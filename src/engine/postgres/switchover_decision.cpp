#include "engine/postgres/switchover_decision.h"

#include <algorithm>

#include "engine/postgres/triage_timeline.h"

namespace hasteward::engine::postgres {

std::string SwitchoverCandidateObjection(const CandidateView& v) {
  if (!v.in_recovery)
    return "'" + v.name + "' is not a standby (it accepts writes)";
  // "Lag 0" from a standby that is not receiving is not a position: a freshly restarted standby
  // reports no lag before its receiver connects, and promoting it at its starting position loses
  // every commit since (seen with Patroni). Only a receiver streaming from this primary counts.
  if (v.receiver_status != "streaming") {
    return "'" + v.name + "' is not streaming (wal receiver '" + v.receiver_status + "')";
  }
  if (!v.follows_primary)
    return "'" + v.name + "' streams from another server, not from the primary";
  if (v.timeline != v.primary_timeline) {
    return "'" + v.name + "' receives timeline " + std::to_string(v.timeline) +
           ", the primary writes timeline " + std::to_string(v.primary_timeline);
  }
  uint64_t applied = std::min(v.receive_lsn, v.replay_lsn);
  if (v.primary_lsn > applied && v.primary_lsn - applied > kMaxSwitchoverLagBytes) {
    return "'" + v.name + "' is " + std::to_string((v.primary_lsn - applied) >> 20) +
           " MiB behind the primary (at most " + std::to_string(kMaxSwitchoverLagBytes >> 20) +
           " MiB: writes stay stopped while it catches up)";
  }
  return "";
}

bool ReplayedShutdownCheckpoint(uint64_t replay_lsn, uint64_t checkpoint_lsn) {
  // pg_last_wal_replay_lsn() is the *end* of the last record replayed and the checkpoint location
  // its *start*: only a strictly greater value means the shutdown checkpoint itself was replayed.
  // Stopping at ">=" would promote a candidate one record short, whose new timeline forks before
  // the old primary's last record: the old primary could then only rejoin through pg_rewind.
  return checkpoint_lsn != 0 && replay_lsn > checkpoint_lsn;
}

std::optional<uint64_t> StandbyPosition::position() const {
  if (!receive_lsn && !replay_lsn)
    return std::nullopt;
  return std::max(receive_lsn.value_or(0), replay_lsn.value_or(0));
}

namespace {

std::string Describe(const StandbyPosition& s) {
  auto pos = s.position();
  return "'" + s.name + "' " + (pos ? FormatLsn(*pos) : "UNKNOWN");
}

// The reasons not to promote `chosen` among `standbys` (empty: none).
std::vector<std::string> Objections(const std::vector<StandbyPosition>& standbys,
                                    const StandbyPosition& chosen) {
  std::vector<std::string> out;
  for (const auto& s : standbys) {
    if (&s == &chosen)
      continue;
    auto pos = s.position();
    // A standby we cannot read may hold commits the choice lacks: promoting past it could
    // silently drop acknowledged transactions, so it needs an explicit --force.
    if (!s.reachable || !pos) {
      out.push_back("the position of '" + s.name + "' cannot be read" +
                    (s.error.empty() ? "" : " (" + s.error + ")"));
      continue;
    }
    if (s.timeline != chosen.timeline) {
      out.push_back("'" + s.name + "' is on timeline " + std::to_string(s.timeline) + ", '" +
                    chosen.name + "' on " + std::to_string(chosen.timeline));
    } else if (*pos > *chosen.position()) {
      out.push_back("'" + s.name + "' (" + FormatLsn(*pos) + ") is ahead of '" + chosen.name +
                    "' (" + FormatLsn(*chosen.position()) + ")");
    }
  }
  return out;
}

}  // namespace

core::Result<FailoverChoice> ChooseFailoverCandidate(const std::vector<StandbyPosition>& standbys,
                                                     const std::string& requested, bool force) {
  const StandbyPosition* chosen = nullptr;
  for (const auto& s : standbys) {
    if (!requested.empty()) {
      if (s.name == requested)
        chosen = &s;
      continue;
    }
    if (!s.reachable || !s.position())
      continue;
    if (chosen == nullptr || *s.position() > *chosen->position() ||
        (*s.position() == *chosen->position() && s.ordinal < chosen->ordinal)) {
      chosen = &s;
    }
  }
  if (!requested.empty() && chosen == nullptr) {
    return core::NotFound("'" + requested + "' is not a standby of this cluster",
                          "name one of the standbys with --to, or leave it out");
  }
  if (chosen == nullptr || !chosen->reachable || !chosen->position()) {
    return core::Status(core::ErrorCode::kSafetyStop,
                        chosen == nullptr ? "no standby answers with its position"
                                          : "'" + chosen->name + "' does not answer as a standby",
                        "start a standby (or repair the cluster) before a failover");
  }
  FailoverChoice choice{chosen->name, *chosen->position(), "", {}};
  std::string all;
  for (const auto& s : standbys)
    all += (all.empty() ? "" : ", ") + Describe(s);
  choice.reason = (requested.empty() ? "most advanced: " : "requested: ") + FormatLsn(choice.lsn) +
                  " (of " + all + ")";
  auto objections = Objections(standbys, *chosen);
  if (objections.empty())
    return choice;
  if (!force) {
    std::string why;
    for (const auto& o : objections)
      why += (why.empty() ? "" : "; ") + o;
    return core::Status(core::ErrorCode::kSafetyStop,
                        "refusing to promote '" + chosen->name + "': " + why,
                        "bring every standby up (or name the most advanced with --to); --force "
                        "promotes anyway and may lose the transactions only the others hold");
  }
  choice.overridden = std::move(objections);
  return choice;
}

}  // namespace hasteward::engine::postgres
