#include "support/postgres_set_writer.h"

#include <map>
#include <optional>

#include <libpq-fe.h>

#include "core/clock.h"
#include "support/partition_network.h"

namespace hasteward::testing {

namespace {

using PgConnPtr = std::unique_ptr<PGconn, decltype(&PQfinish)>;

PgConnPtr Connect(const platform::Cluster& cluster, const platform::Instance& instance,
                  bool as_observer = false) {
  auto password = cluster.credentials.password.Resolve();
  std::string port = std::to_string(instance.port);
  const char* keys[] = {"host", "port", "user", "password", "dbname", "connect_timeout", nullptr};
  const char* values[] = {instance.host.c_str(),
                          port.c_str(),
                          cluster.credentials.user.c_str(),
                          password.ok() ? password->c_str() : "",
                          "postgres",
                          "2",
                          nullptr};
  std::optional<AsObserver> observer;
  if (as_observer)
    observer.emplace();
  return {PQconnectdbParams(keys, values, 0), &PQfinish};
}

// Runs one statement; true when it succeeded.
bool Exec(PGconn* conn, const std::string& sql) {
  PGresult* result = PQexec(conn, sql.c_str());
  ExecStatusType status = PQresultStatus(result);
  PQclear(result);
  return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

// A connection to the instance that accepts writes, or nullptr when none does now.
PgConnPtr ConnectPrimary(const PostgresSetWriter::Options& options) {
  for (const auto& instance : options.cluster.instances) {
    PgConnPtr conn = Connect(options.cluster, instance, options.as_observer);
    if (PQstatus(conn.get()) != CONNECTION_OK)
      continue;
    PGresult* result = PQexec(conn.get(), "SELECT pg_is_in_recovery()");
    bool primary = PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1 &&
                   std::string(PQgetvalue(result, 0, 0)) == "f";
    PQclear(result);
    if (primary && Exec(conn.get(), "SET synchronous_commit = " + options.synchronous_commit))
      return conn;
  }
  return {nullptr, &PQfinish};
}

}  // namespace

core::Result<std::unique_ptr<PostgresSetWriter>> PostgresSetWriter::Start(const Options& options) {
  std::unique_ptr<PostgresSetWriter> writer(new PostgresSetWriter(options));
  PgConnPtr conn = ConnectPrimary(options);
  if (!conn)
    return core::Internal("set writer: no instance of '" + options.cluster.name + "' is writable");
  // No unique key on purpose: a duplicate must be visible, not rejected.
  if (!Exec(conn.get(), "DROP TABLE IF EXISTS " + options.table) ||
      !Exec(conn.get(), "CREATE TABLE " + options.table + " (id bigint NOT NULL)")) {
    return core::Internal("set writer: cannot create '" + options.table +
                          "': " + PQerrorMessage(conn.get()));
  }
  writer->thread_ = std::thread([w = writer.get()] { w->Loop(); });
  return writer;
}

PostgresSetWriter::~PostgresSetWriter() {
  Stop();
}

void PostgresSetWriter::Stop() {
  stop_ = true;
  if (thread_.joinable())
    thread_.join();
}

void PostgresSetWriter::Loop() {
  const core::Clock& clock = core::SystemClock::Get();
  PgConnPtr conn(nullptr, &PQfinish);
  int64_t next_id = 1;
  auto last_ack = clock.Monotonic();
  while (!stop_) {
    if (!conn || PQstatus(conn.get()) != CONNECTION_OK) {
      conn = ConnectPrimary(options_);
      if (!conn) {
        clock.SleepFor(std::chrono::milliseconds(20));
        continue;
      }
    }
    int64_t id = next_id++;  // never reused, whatever happens to this insert
    if (!Exec(conn.get(),
              "INSERT INTO " + options_.table + " VALUES (" + std::to_string(id) + ")")) {
      conn.reset();  // read-only, shut down or gone: find the primary again
      continue;
    }
    auto now = clock.Monotonic();
    std::lock_guard<std::mutex> lock(mu_);
    acked_.push_back(id);
    longest_gap_ = std::max(longest_gap_,
                            std::chrono::duration_cast<std::chrono::milliseconds>(now - last_ack));
    last_ack = now;
  }
}

size_t PostgresSetWriter::acknowledged() const {
  std::lock_guard<std::mutex> lock(mu_);
  return acked_.size();
}

std::chrono::milliseconds PostgresSetWriter::longest_gap() const {
  std::lock_guard<std::mutex> lock(mu_);
  return longest_gap_;
}

bool PostgresSetWriter::WaitForMore(size_t count, std::chrono::milliseconds timeout) const {
  const core::Clock& clock = core::SystemClock::Get();
  size_t target = acknowledged() + count;
  auto deadline = clock.Monotonic() + timeout;
  while (acknowledged() < target) {
    if (clock.Monotonic() >= deadline)
      return false;
    clock.SleepFor(std::chrono::milliseconds(10));
  }
  return true;
}

core::Result<PostgresSetWriter::Outcome> PostgresSetWriter::Check(int ordinal) const {
  return CheckOn(options_.cluster, ordinal);
}

core::Result<PostgresSetWriter::Outcome> PostgresSetWriter::CheckOn(
    const platform::Cluster& cluster, int ordinal) const {
  const platform::Instance* instance = cluster.FindInstance(ordinal);
  if (instance == nullptr)
    return core::NotFound("no instance " + std::to_string(ordinal));
  PgConnPtr conn = Connect(cluster, *instance, options_.as_observer);
  PGresult* result = PQexec(conn.get(), ("SELECT id FROM " + options_.table).c_str());
  if (PQresultStatus(result) != PGRES_TUPLES_OK) {
    std::string error = PQerrorMessage(conn.get());
    PQclear(result);
    return core::Internal("set writer: cannot read '" + options_.table + "': " + error);
  }
  std::map<int64_t, int> seen;
  for (int row = 0; row < PQntuples(result); ++row)
    ++seen[std::stoll(PQgetvalue(result, row, 0))];
  PQclear(result);
  Outcome outcome;
  std::lock_guard<std::mutex> lock(mu_);
  outcome.acknowledged = acked_.size();
  outcome.present = seen.size();
  for (const auto& [id, count] : seen)
    outcome.duplicates += count > 1 ? 1 : 0;
  for (int64_t id : acked_) {
    if (seen.count(id) == 0) {
      if (outcome.lost++ == 0)
        outcome.first_lost = std::to_string(id);
    }
  }
  return outcome;
}

}  // namespace hasteward::testing
