#include "engine/postgres/promotion.h"

#include <algorithm>

#include "core/clock.h"
#include "core/wait_for.h"
#include "engine/postgres/pg_connection.h"
#include "engine/postgres/server_state.h"
#include "engine/postgres/standby_follow.h"

namespace hasteward::engine::postgres {

core::Result<std::string> Promote(const platform::InstanceHandle& candidate_handle,
                                  std::chrono::milliseconds timeout) {
  const platform::Instance& candidate = candidate_handle.instance();
  HS_ASSIGN_OR_RETURN(auto conn, PgConnection::ConnectInstance(candidate_handle));
  auto seconds =
      std::max<int64_t>(1, std::chrono::duration_cast<std::chrono::seconds>(timeout).count());
  HS_ASSIGN_OR_RETURN(auto promoted,
                      conn->QueryValue("SELECT pg_promote(true, " + std::to_string(seconds) + ")"));
  if (promoted.value_or("") != "t") {
    return core::Status(core::ErrorCode::kTimeout,
                        "'" + candidate.name + "' did not finish its promotion within " +
                            std::to_string(seconds) + " s",
                        "check its log; it may still become the primary");
  }
  HS_ASSIGN_OR_RETURN(ServerState state, ReadServerState(candidate_handle));
  if (state.in_recovery)
    return core::Internal("'" + candidate.name + "' is still in recovery after pg_promote");
  return "'" + candidate.name + "' promoted: timeline " + std::to_string(state.timeline);
}

core::Result<std::string> RepointStandbys(InstanceHandles& handles,
                                          const std::vector<platform::Instance>& standbys,
                                          const platform::Instance& primary,
                                          std::chrono::milliseconds timeout) {
  std::string failed, done;
  core::ErrorCode code = core::ErrorCode::kOk;
  auto note = [&](const core::Status& st) {
    if (code == core::ErrorCode::kOk)
      code = st.code();
    failed += (failed.empty() ? "" : "; ") + st.message();
  };
  HS_ASSIGN_OR_RETURN(platform::InstanceHandle * primary_handle, handles.Open(primary));
  std::vector<platform::InstanceHandle*> pointed;
  for (const auto& standby : standbys) {
    auto standby_handle = handles.Open(standby);
    core::Status st =
        standby_handle.ok() ? FollowPrimary(**standby_handle, primary) : standby_handle.status();
    if (st.ok()) {
      pointed.push_back(*standby_handle);
    } else {
      note(st);
    }
  }
  // One deadline for all: they reconnect in parallel, so waiting in turn costs nothing extra.
  const core::Clock& clock = core::SystemClock::Get();
  auto deadline = clock.Monotonic() + timeout;
  for (const auto* standby : pointed) {
    auto left = std::max(
        std::chrono::milliseconds(0),
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock.Monotonic()));
    core::Status st = WaitStreaming(*standby, *primary_handle, left);
    if (st.ok()) {
      done += (done.empty() ? "'" : ", '") + standby->instance().name + "'";
    } else {
      note(st);
    }
  }
  if (!failed.empty()) {
    return core::Status(code, failed,
                        "the new primary '" + primary.name +
                            "' is serving; run `hasteward repair` to re-clone the standbys that "
                            "did not follow");
  }
  return done.empty() ? std::string("no standby to repoint")
                      : "streaming from '" + primary.name + "': " + done;
}

core::Result<std::string> ProveWritable(const platform::InstanceHandle& primary_handle) {
  const platform::Instance& primary = primary_handle.instance();
  HS_ASSIGN_OR_RETURN(auto conn, PgConnection::ConnectInstance(primary_handle));
  core::Status wrote = conn->Execute(
      "BEGIN READ WRITE; "
      "CREATE TEMPORARY TABLE hasteward_write_probe (id int) ON COMMIT DROP; "
      "INSERT INTO hasteward_write_probe VALUES (1); COMMIT");
  if (!wrote.ok()) {
    return core::Status(core::ErrorCode::kSafetyStop,
                        "'" + primary.name + "' refused a write: " + wrote.message(),
                        "check its log and `hasteward triage`");
  }
  return "'" + primary.name + "' committed a write";
}

}  // namespace hasteward::engine::postgres
