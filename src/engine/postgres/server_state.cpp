#include "engine/postgres/server_state.h"

#include <cstdlib>

#include <libpq-fe.h>

#include "engine/client_tools.h"
#include "engine/postgres/pg_connection.h"
#include "engine/postgres/triage.h"
#include "engine/postgres/triage_timeline.h"
#include "platform/peer_address.h"

namespace hasteward::engine::postgres {

namespace {

// One round trip that works on a primary and a standby. A standby's timeline is the one its
// receiver gets, else the newest its control file knows (checkpoint / minimum recovery point):
// a standby whose primary is gone has no receiver row left.
constexpr char kStateQuery[] =
    "SELECT pg_is_in_recovery() AS in_recovery, "
    "CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END AS current_lsn, "
    "CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_walfile_name(pg_current_wal_lsn()) END "
    "AS walfile, "
    "pg_last_wal_receive_lsn()::text AS receive_lsn, "
    "pg_last_wal_replay_lsn()::text AS replay_lsn, "
    "coalesce((SELECT status FROM pg_stat_wal_receiver), 'none') AS receiver_status, "
    "coalesce((SELECT sender_host FROM pg_stat_wal_receiver), '') AS sender_host, "
    "coalesce((SELECT sender_port FROM pg_stat_wal_receiver), 0) AS sender_port, "
    "coalesce((SELECT received_tli FROM pg_stat_wal_receiver), 0) AS received_tli, "
    "greatest((SELECT timeline_id FROM pg_control_checkpoint()), "
    "(SELECT min_recovery_end_timeline FROM pg_control_recovery())) AS control_tli, "
    "current_setting('primary_conninfo') AS conninfo";

std::optional<uint64_t> OptionalLsn(const SqlRows& rows, const char* column) {
  auto text = rows.Get(0, column);
  return text ? ParseLsn(*text) : std::nullopt;
}

// The host and port of a libpq connection string ("" / 0 for what it does not set).
void ParseUpstream(const std::string& conninfo, ServerState* state) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  if (options == nullptr) {
    PQfreemem(error);
    return;
  }
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr)
      continue;
    if (std::string(o->keyword) == "host") {
      state->upstream_host = o->val;
    } else if (std::string(o->keyword) == "port") {
      state->upstream_port = std::atoi(o->val);
    }
  }
  PQconninfoFree(options);
}

uint32_t ToTimeline(const std::string& text, int base) {
  return static_cast<uint32_t>(std::strtoul(text.c_str(), nullptr, base));
}

}  // namespace

core::Result<ServerState> ReadServerState(const platform::InstanceHandle& handle) {
  const platform::Instance& instance = handle.instance();
  HS_ASSIGN_OR_RETURN(auto conn, PgConnection::ConnectInstance(handle));
  HS_ASSIGN_OR_RETURN(SqlRows rows, conn->Query(kStateQuery));
  if (rows.empty())
    return core::Internal("no state row from " + DescribeInstance(instance));
  ServerState s;
  s.in_recovery = rows.GetOr(0, "in_recovery") == "t";
  s.receiver_status = rows.GetOr(0, "receiver_status", "none");
  s.sender_host = rows.GetOr(0, "sender_host");
  s.sender_port = std::atoi(rows.GetOr(0, "sender_port", "0").c_str());
  s.receive_lsn = OptionalLsn(rows, "receive_lsn");
  s.replay_lsn = OptionalLsn(rows, "replay_lsn");
  if (!s.in_recovery) {
    auto current = OptionalLsn(rows, "current_lsn");
    std::string walfile = rows.GetOr(0, "walfile");
    if (!current || walfile.size() < 8)
      return core::Internal("unreadable WAL position from " + DescribeInstance(instance));
    s.current_lsn = *current;
    s.timeline = ToTimeline(walfile.substr(0, 8), 16);
    HS_ASSIGN_OR_RETURN(SqlRows senders,
                        conn->Query("SELECT application_name FROM pg_stat_replication "
                                    "WHERE state = 'streaming'"));
    for (size_t r = 0; r < senders.size(); ++r)
      s.streaming_walsenders.push_back(senders.GetOr(r, "application_name"));
    return s;
  }
  ParseUpstream(rows.GetOr(0, "conninfo"), &s);
  uint32_t received = ToTimeline(rows.GetOr(0, "received_tli", "0"), 10);
  s.timeline = received != 0 ? received : ToTimeline(rows.GetOr(0, "control_tli", "0"), 10);
  return s;
}

bool StreamsFrom(const ServerState& standby, const platform::Instance& standby_instance,
                 const ServerState& primary, const platform::Instance& primary_instance) {
  if (!standby.in_recovery || standby.receiver_status != "streaming" || primary.in_recovery)
    return false;
  // The standby's view of its sender is the primary's peer address.
  if (standby.sender_port == platform::PeerPort(primary_instance) &&
      standby.sender_host == platform::PeerHost(primary_instance))
    return true;
  // A host name in the inventory and an address in the receiver's view can both be right: the
  // primary naming the standby's walsender (application_name defaults to its cluster_name) counts.
  for (const auto& name : primary.streaming_walsenders) {
    if (name == standby_instance.name)
      return true;
  }
  return false;
}

core::Result<ShutdownPosition> ReadShutdownPosition(platform::InstanceHandle& handle) {
  const platform::Instance& instance = handle.instance();
  HS_ASSIGN_OR_RETURN(std::string out, RunOnInstance(handle, {ToolPath(instance, "pg_controldata"),
                                                              "-D", instance.data_dir}));
  auto fields = ParseControlData(out);
  ShutdownPosition p;
  p.cluster_state = fields["Database cluster state"];
  p.timeline = ToTimeline(fields["Latest checkpoint's TimeLineID"], 10);
  auto lsn = ParseLsn(fields["Latest checkpoint location"]);
  if (p.cluster_state.empty() || p.timeline == 0 || !lsn) {
    return core::Internal("pg_controldata of " + DescribeInstance(instance) +
                          " lacks the cluster state, timeline or checkpoint location");
  }
  p.checkpoint_lsn = *lsn;
  return p;
}

}  // namespace hasteward::engine::postgres
