#include "engine/postgres/wal_stream_client.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <libpq-fe.h>
#include <poll.h>

#include "core/clock.h"
#include "core/text.h"
#include "engine/postgres/pg_connection.h"

namespace hasteward::engine::postgres {

namespace {

// Microseconds from the Unix epoch to PostgreSQL's (2000-01-01 UTC), which status updates use.
constexpr int64_t kPgEpochMicros = int64_t{946684800} * 1000000;

uint64_t ReadBigEndian(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) {
    v = (v << 8) | static_cast<uint8_t>(p[i]);
  }
  return v;
}

void AppendBigEndian(uint64_t v, std::string* out) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((v >> shift) & 0xff));
  }
}

std::string FormatLsn(uint64_t position) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%X/%X", static_cast<unsigned>(position >> 32),
                static_cast<unsigned>(position & 0xffffffffU));
  return buf;
}

core::Result<uint64_t> ParseLsn(const std::string& text) {
  unsigned hi = 0;
  unsigned lo = 0;
  if (std::sscanf(text.c_str(), "%X/%X", &hi, &lo) != 2) {
    return core::Internal("the server sent '" + text + "' for a WAL position");
  }
  return (uint64_t{hi} << 32) | lo;
}

// The protocol's field is wall-clock time.
int64_t NowPgMicros() {
  const auto now = core::SystemClock::Get().Now().time_since_epoch();
  return std::chrono::duration_cast<std::chrono::microseconds>(now).count() - kPgEpochMicros;
}

class PgWalStream : public WalStream {
 public:
  explicit PgWalStream(std::shared_ptr<PgConnection> connection)
      : connection_(std::move(connection)) {}
  ~PgWalStream() override = default;

  core::Result<WalStreamEvent> Next(std::chrono::milliseconds wait) override {
    HS_ASSIGN_OR_RETURN(auto event, TryRead());
    if (event.kind != WalStreamEventKind::kNothing) {
      return event;
    }
    pollfd ready{PQsocket(conn()), POLLIN, 0};
    int polled = ::poll(&ready, 1, static_cast<int>(wait.count()));
    if (polled < 0 && errno != EINTR) {
      return Lost(std::string("poll: ") + std::strerror(errno));
    }
    if (polled > 0 && PQconsumeInput(conn()) == 0) {
      return Lost(PQerrorMessage(conn()));
    }
    return TryRead();
  }

  core::Status Report(uint64_t received, uint64_t durable, bool reply_requested) override {
    std::string message = "r";
    AppendBigEndian(received, &message);
    AppendBigEndian(durable, &message);
    AppendBigEndian(durable, &message);
    AppendBigEndian(static_cast<uint64_t>(NowPgMicros()), &message);
    message.push_back(reply_requested ? 1 : 0);
    if (PQputCopyData(conn(), message.data(), static_cast<int>(message.size())) != 1 ||
        PQflush(conn()) != 0) {
      return Lost(PQerrorMessage(conn()));
    }
    return core::Status::Ok();
  }

  core::Result<std::string> TimelineHistory(uint32_t timeline) override {
    HS_ASSIGN_OR_RETURN(SqlRows rows,
                        connection_->Query("TIMELINE_HISTORY " + std::to_string(timeline)));
    auto content = rows.size() == 1 ? rows.Get(0, "content") : std::nullopt;
    if (!content) {
      return core::Internal("TIMELINE_HISTORY " + std::to_string(timeline) + " returned no file");
    }
    return *content;
  }

  core::Status Restart(uint32_t timeline, uint64_t position) override {
    const std::string command = std::string("START_REPLICATION SLOT ") + kWalReceiverSlot +
                                " PHYSICAL " + FormatLsn(position) + " TIMELINE " +
                                std::to_string(timeline);
    PGresult* result = PQexec(conn(), command.c_str());
    const bool streaming = result != nullptr && PQresultStatus(result) == PGRES_COPY_BOTH;
    std::string error = result != nullptr ? PQresultErrorMessage(result) : PQerrorMessage(conn());
    PQclear(result);
    if (!streaming) {
      return Lost(command + ": " + error);
    }
    return core::Status::Ok();
  }

 private:
  PGconn* conn() const { return connection_->native_handle(); }

  core::Status Lost(const std::string& why) const {
    core::Status s(core::ErrorCode::kUnreachable,
                   "WAL stream from postgresql " + connection_->display_name() + ": " +
                       core::TrimTrailingSpace(why),
                   "the receiver reconnects; check the server's log when it keeps failing");
    s.SetRetryable();
    return s;
  }

  // One message without waiting: kNothing when none is buffered.
  core::Result<WalStreamEvent> TryRead() {
    char* buffer = nullptr;
    int length = PQgetCopyData(conn(), &buffer, 1);
    if (length == 0) {
      return WalStreamEvent{};
    }
    if (length == -1) {
      return EndOfTimeline();
    }
    if (length < 0) {
      return Lost(PQerrorMessage(conn()));
    }
    std::unique_ptr<char, decltype(&PQfreemem)> owned(buffer, PQfreemem);
    WalStreamEvent event;
    if (buffer[0] == 'w' && length >= 25) {
      event.kind = WalStreamEventKind::kData;
      event.start = ReadBigEndian(buffer + 1);
      event.server_end = ReadBigEndian(buffer + 9);
      event.data.assign(buffer + 25, buffer + length);
      return event;
    }
    if (buffer[0] == 'k' && length >= 18) {
      event.kind = WalStreamEventKind::kKeepalive;
      event.server_end = ReadBigEndian(buffer + 1);
      event.reply_requested = buffer[17] != 0;
      return event;
    }
    return Lost("an unknown message '" + std::string(1, buffer[0]) + "' in the stream");
  }

  // The server ended the timeline (CopyDone): answer with ours, then read the next timeline and
  // where it starts, then the command's completion.
  core::Result<WalStreamEvent> EndOfTimeline() {
    if (PQputCopyEnd(conn(), nullptr) != 1 || PQflush(conn()) != 0) {
      return Lost(PQerrorMessage(conn()));
    }
    WalStreamEvent event;
    event.kind = WalStreamEventKind::kTimelineEnd;
    bool have_next = false;
    for (PGresult* result = PQgetResult(conn()); result != nullptr; result = PQgetResult(conn())) {
      std::unique_ptr<PGresult, decltype(&PQclear)> owned(result, PQclear);
      ExecStatusType status = PQresultStatus(result);
      if (status == PGRES_TUPLES_OK && PQntuples(result) == 1 && PQnfields(result) >= 2) {
        event.next_timeline =
            static_cast<uint32_t>(std::strtoul(PQgetvalue(result, 0, 0), nullptr, 10));
        HS_ASSIGN_OR_RETURN(event.switch_position, ParseLsn(PQgetvalue(result, 0, 1)));
        have_next = true;
      } else if (status != PGRES_COMMAND_OK && status != PGRES_COPY_OUT &&
                 status != PGRES_COPY_BOTH) {
        return Lost(PQresultErrorMessage(result));
      }
    }
    if (!have_next) {
      return Lost("the server ended the stream without naming the next timeline");
    }
    return event;
  }

  std::shared_ptr<PgConnection> connection_;
};

// Set by the receiver's fallback beside the emptied synchronous_standby_names: only then does a
// receiver that caught up name itself again. A setting of database "postgres" (pg_db_role_setting:
// PostgreSQL 15 keeps no custom setting in postgresql.auto.conf), written without waiting for a
// synchronous standby.
constexpr char kFallbackMark[] = "hasteward.receiver_fell_back";

class PgWalStreamSource : public WalStreamSource {
 public:
  PgWalStreamSource(std::shared_ptr<PgConnection> connection, WalStreamOrigin origin,
                    PgConnectParams params)
      : connection_(std::move(connection)),
        origin_(std::move(origin)),
        params_(std::move(params)) {}
  const WalStreamOrigin& origin() const override { return origin_; }
  core::Result<std::unique_ptr<WalStream>> Start(uint32_t timeline, uint64_t position) override {
    auto stream = std::make_unique<PgWalStream>(connection_);
    HS_TRY(stream->Restart(timeline, position));
    return std::unique_ptr<WalStream>(std::move(stream));
  }
  core::Result<std::string> TimelineHistory(uint32_t timeline) override {
    return PgWalStream(connection_).TimelineHistory(timeline);
  }

  core::Status FallBack() override {
    HS_ASSIGN_OR_RETURN(auto conn, Ordinary());
    return FallBackFromReceiver(*conn);
  }

  core::Result<bool> Restore() override {
    HS_ASSIGN_OR_RETURN(auto conn, Ordinary());
    HS_ASSIGN_OR_RETURN(auto mark, conn->QueryValue(std::string("SELECT current_setting('") +
                                                    kFallbackMark + "', true)"));
    if (mark.value_or("") != "on") {
      return false;
    }
    // The mark goes last (a receiver killed in between finds it and names itself again); this
    // session's commit does not wait for the receiver, which waits for this call.
    HS_TRY(conn->Execute(std::string("ALTER SYSTEM SET synchronous_standby_names = '") +
                         kWalReceiverName + "'"));
    HS_TRY(conn->Execute("SELECT pg_reload_conf()"));
    HS_TRY(conn->Execute(std::string("ALTER DATABASE postgres RESET ") + kFallbackMark));
    return true;
  }

 private:
  core::Result<std::unique_ptr<PgConnection>> Ordinary() const {
    auto ordinary = params_;  // InstanceConnectParams' own, as a plain session
    ordinary.replication = false;
    ordinary.dbname = "postgres";
    HS_ASSIGN_OR_RETURN(auto conn, PgConnection::Connect(ordinary));
    // This session's commits (the mark) never wait for a synchronous standby: the receiver, the
    // only one, is the caller.
    HS_TRY(conn->Execute("SET synchronous_commit = local"));
    return conn;
  }

  std::shared_ptr<PgConnection> connection_;
  WalStreamOrigin origin_;
  PgConnectParams params_;
};

core::Result<WalStreamOrigin> ReadOrigin(PgConnection& connection) {
  WalStreamOrigin origin;
  HS_ASSIGN_OR_RETURN(SqlRows system, connection.Query("IDENTIFY_SYSTEM"));
  auto system_id = system.size() == 1 ? system.Get(0, "systemid") : std::nullopt;
  auto timeline = system.size() == 1 ? system.Get(0, "timeline") : std::nullopt;
  auto position = system.size() == 1 ? system.Get(0, "xlogpos") : std::nullopt;
  if (!system_id || !timeline || !position) {
    return core::Internal("IDENTIFY_SYSTEM returned no row");
  }
  origin.system_id = *system_id;
  origin.timeline = static_cast<uint32_t>(std::stoul(*timeline));
  HS_ASSIGN_OR_RETURN(origin.position, ParseLsn(*position));
  // A slot that exists keeps the WAL from where this receiver last confirmed; a new one keeps it
  // from now (RESERVE_WAL), and the receiver starts at the current segment.
  HS_ASSIGN_OR_RETURN(SqlRows slot,
                      connection.Query(std::string("READ_REPLICATION_SLOT ") + kWalReceiverSlot));
  auto slot_type = slot.size() == 1 ? slot.Get(0, "slot_type") : std::nullopt;
  if (slot_type) {
    if (*slot_type != "physical") {
      return core::Status(core::ErrorCode::kUsage,
                          std::string("the replication slot '") + kWalReceiverSlot + "' is " +
                              *slot_type + ", not physical",
                          "drop it (pg_drop_replication_slot) or rename it; the receiver owns "
                          "this name");
    }
    auto restart = slot.Get(0, "restart_lsn");
    auto restart_timeline = slot.Get(0, "restart_tli");
    if (restart && restart_timeline) {
      HS_ASSIGN_OR_RETURN(origin.slot_restart, ParseLsn(*restart));
      origin.slot_timeline = static_cast<uint32_t>(std::stoul(*restart_timeline));
    }
    return origin;
  }
  HS_TRY(connection
             .Query(std::string("CREATE_REPLICATION_SLOT ") + kWalReceiverSlot +
                    " PHYSICAL RESERVE_WAL")
             .status());
  return origin;
}

}  // namespace

core::Status FallBackFromReceiver(PgConnection& conn) {
  HS_TRY(conn.Execute("SET synchronous_commit = local"));
  HS_TRY(conn.Execute("ALTER SYSTEM SET synchronous_standby_names = ''"));
  HS_TRY(conn.Execute("SELECT pg_reload_conf()"));
  return conn.Execute(std::string("ALTER DATABASE postgres SET ") + kFallbackMark + " = 'on'");
}

core::Result<std::unique_ptr<WalStreamSource>> OpenWalStreamSource(
    const platform::InstanceHandle& primary) {
  HS_ASSIGN_OR_RETURN(PgConnectParams params, InstanceConnectParams(primary, "postgres"));
  params.replication = true;
  params.application_name = kWalReceiverName;
  HS_ASSIGN_OR_RETURN(auto connection, PgConnection::Connect(params));
  std::shared_ptr<PgConnection> shared = std::move(connection);
  HS_ASSIGN_OR_RETURN(WalStreamOrigin origin, ReadOrigin(*shared));
  return std::unique_ptr<WalStreamSource>(
      new PgWalStreamSource(shared, std::move(origin), std::move(params)));
}

}  // namespace hasteward::engine::postgres
