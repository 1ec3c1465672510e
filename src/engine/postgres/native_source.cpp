#include "engine/postgres/native_source.h"

#include "core/log.h"
#include "core/poll_until.h"
#include "engine/postgres/pg_connection.h"
#include "engine/postgres/triage_timeline.h"

namespace hasteward::engine::postgres {

namespace {

constexpr auto kReplayPoll = std::chrono::milliseconds(100);

StandbyFacts ReadStandbyFacts(InstanceHandles& handles, const platform::Instance& instance) {
  StandbyFacts facts;
  facts.instance = &instance;
  auto handle = handles.Open(instance);
  if (!handle.ok()) {
    facts.problem = handle.status().message();
    return facts;
  }
  auto conn = PgConnection::ConnectInstance(**handle);
  if (!conn.ok()) {
    facts.problem = conn.status().message();
    return facts;
  }
  auto rows = (*conn)->Query(
      "SELECT pg_is_in_recovery() AS in_recovery,"
      " (SELECT status FROM pg_stat_wal_receiver) AS receiver,"
      " pg_last_wal_replay_lsn()::text AS replay_lsn");
  if (!rows.ok() || rows->empty()) {
    facts.problem = rows.ok() ? "no answer to the recovery query" : rows.status().message();
    return facts;
  }
  facts.reachable = true;
  facts.in_recovery = rows->GetOr(0, "in_recovery") == "t";
  facts.streaming = rows->GetOr(0, "receiver") == "streaming";
  facts.replay_lsn = ParseLsn(rows->GetOr(0, "replay_lsn")).value_or(0);
  return facts;
}

// Polls the standby until it replayed `target` or the timeout passes.
core::Result<bool> WaitForReplay(const platform::InstanceHandle& standby, uint64_t target,
                                 std::chrono::milliseconds timeout) {
  HS_ASSIGN_OR_RETURN(auto conn, PgConnection::ConnectInstance(standby));
  core::Status error;
  bool replayed = core::PollUntil(
      [&] {
        auto lsn = conn->QueryValue("SELECT pg_last_wal_replay_lsn()::text");
        if (!lsn.ok()) {
          error = lsn.TakeStatus();
          return true;
        }
        return ParseLsn(lsn->value_or("")).value_or(0) >= target;
      },
      timeout, kReplayPoll);
  HS_TRY(error);
  return replayed;
}

void NoteSkipped(BackupPlan& plan, const std::string& note) {
  std::string& skipped = plan.metadata["skipped"];
  skipped += (skipped.empty() ? "" : "; ") + note;
}

}  // namespace

const StandbyFacts* PickStandbySource(std::vector<StandbyFacts>& standbys, uint64_t primary_lsn) {
  const StandbyFacts* best = nullptr;
  for (auto& standby : standbys) {
    if (!standby.reachable) {
      continue;  // problem already says why
    }
    if (!standby.in_recovery) {
      standby.problem = "not in recovery";
    } else if (!standby.streaming) {
      standby.problem = "not streaming from the primary";
    } else if (standby.replay_lsn + kMaxStandbyLagBytes < primary_lsn) {
      standby.problem = "replay is " + std::to_string((primary_lsn - standby.replay_lsn) >> 20) +
                        " MiB behind the primary";
    } else if (best == nullptr || standby.replay_lsn > best->replay_lsn) {
      best = &standby;
    }
  }
  return best;
}

core::Status PreferStandbySource(InstanceHandles& handles, BackupPlan& plan,
                                 std::chrono::milliseconds catch_up_timeout) {
  std::vector<StandbyFacts> standbys;
  for (const auto& instance : handles.cluster().instances) {
    if (instance.name != plan.source.name) {
      standbys.push_back(ReadStandbyFacts(handles, instance));
    }
  }
  if (standbys.empty()) {
    return core::Status::Ok();
  }
  // Read after the standbys: the position every commit acknowledged before this backup began.
  HS_ASSIGN_OR_RETURN(platform::InstanceHandle * source, handles.Open(plan.source));
  HS_ASSIGN_OR_RETURN(auto primary, PgConnection::ConnectInstance(*source));
  HS_ASSIGN_OR_RETURN(auto current, primary->QueryValue("SELECT pg_current_wal_lsn()::text"));
  const uint64_t primary_lsn = ParseLsn(current.value_or("")).value_or(0);
  const StandbyFacts* chosen = PickStandbySource(standbys, primary_lsn);
  for (const auto& standby : standbys) {
    if (&standby != chosen) {
      NoteSkipped(plan, standby.instance->name + ": " + standby.problem);
    }
  }
  if (chosen == nullptr) {
    plan.reason += "; no healthy streaming standby";
    return core::Status::Ok();
  }
  HS_ASSIGN_OR_RETURN(platform::InstanceHandle * chosen_handle, handles.Open(*chosen->instance));
  auto caught_up = WaitForReplay(*chosen_handle, primary_lsn, catch_up_timeout);
  if (!caught_up.ok() || !*caught_up) {
    std::string why = caught_up.ok() ? "did not replay " + FormatLsn(primary_lsn) + " within " +
                                           std::to_string(catch_up_timeout.count()) + " ms"
                                     : caught_up.status().message();
    core::LogWarn("the native backup copies the primary: standby '" + chosen->instance->name +
                  "' " + why);
    NoteSkipped(plan, chosen->instance->name + ": " + why);
    plan.reason += "; standby '" + chosen->instance->name + "' " + why;
    return core::Status::Ok();
  }
  plan.reason = "streaming standby '" + chosen->instance->name + "' (replayed the primary's " +
                FormatLsn(primary_lsn) + ")";
  plan.source = *chosen->instance;
  plan.role = InstanceRole::kStandby;
  return core::Status::Ok();
}

}  // namespace hasteward::engine::postgres
