// PostgresEngine::CheckData: per-table row count and checksum in every database that allows
// connections, amcheck (verify_heapam, bt_index_check with heapallindexed) where available.
#include "engine/postgres/pg_connection.h"
#include "engine/postgres/postgres_engine.h"

namespace hasteward::engine::postgres {

namespace {

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s)
    out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// Order-independent checksum of every row's text form: reads every column (TOAST included).
constexpr char kTableSql[] =
    "SELECT count(*), coalesce(sum(('x' || substr(md5(t::text), 1, 15))::bit(60)::bigint), 0) "
    "FROM ";

constexpr char kTablesSql[] =
    "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables "
    "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1";

constexpr char kIndexesSql[] =
    "SELECT c.oid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
    "JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE a.amname = 'btree' AND i.indisvalid AND i.indisready AND c.relpersistence <> 't' "
    "AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') ORDER BY 1";

void CheckTable(PgConnection& conn, const std::string& db, const std::string& table, bool amcheck,
                DataCheck& out) {
  TableCheck t{db, table, 0, "", "ok"};
  auto rows = conn.Query(kTableSql + table + " t");
  if (!rows.ok()) {
    t.check = rows.status().message();
    out.failures.push_back("table '" + db + "." + table + "' is not readable: " + t.check);
  } else {
    t.rows = std::stoll(rows->rows[0][0].value_or("0"));
    t.checksum = rows->rows[0][1].value_or("0");
  }
  if (amcheck && rows.ok()) {
    auto heap =
        conn.QueryValue("SELECT count(*) FROM verify_heapam(" + Quote(table) + "::regclass)");
    if (!heap.ok() || heap->value_or("0") != "0") {
      t.check = heap.ok() ? "verify_heapam reported " + heap->value_or("?") + " problem(s)"
                          : heap.status().message();
      out.failures.push_back("table '" + db + "." + table + "': " + t.check);
    }
  }
  out.tables.push_back(std::move(t));
}

void CheckIndexes(PgConnection& conn, const std::string& db, DataCheck& out) {
  auto indexes = conn.Query(kIndexesSql);
  if (!indexes.ok()) {
    out.failures.push_back("list indexes of '" + db + "': " + indexes.status().message());
    return;
  }
  for (const auto& row : indexes->rows) {
    std::string idx = row[0].value_or("");
    core::Status st = conn.Execute("SELECT bt_index_check(" + Quote(idx) + "::regclass, true)");
    if (!st.ok()) {
      out.failures.push_back(
          std::string("index '").append(db).append(".").append(idx).append("': ").append(
              st.message()));
    }
  }
}

bool EnableAmcheck(PgConnection& conn, DataCheck& out) {
  auto avail =
      conn.QueryValue("SELECT count(*) FROM pg_available_extensions WHERE name = 'amcheck'");
  if (!avail.ok() || avail->value_or("0") == "0") {
    return false;
  }
  core::Status st = conn.Execute("CREATE EXTENSION IF NOT EXISTS amcheck");
  if (!st.ok())
    out.notes.push_back("amcheck: " + st.message());
  return st.ok();
}

void CheckDatabase(const platform::InstanceHandle& instance, const std::string& db,
                   DataCheck& out) {
  auto conn = PgConnection::ConnectInstance(instance, db);
  if (!conn.ok()) {
    out.failures.push_back("database '" + db + "' is not reachable: " + conn.status().message());
    return;
  }
  bool amcheck = EnableAmcheck(**conn, out);
  auto tables = (*conn)->Query(kTablesSql);
  if (!tables.ok()) {
    out.failures.push_back("list tables of '" + db + "': " + tables.status().message());
    return;
  }
  for (const auto& row : tables->rows)
    CheckTable(**conn, db, row[0].value_or(""), amcheck, out);
  if (amcheck)
    CheckIndexes(**conn, db, out);
}

}  // namespace

DataCheck PostgresEngine::CheckData(const platform::InstanceHandle& instance) {
  DataCheck out;
  auto conn = PgConnection::ConnectInstance(instance, "postgres");
  if (!conn.ok()) {
    out.failures.push_back("server does not answer: " + conn.status().message());
    return out;
  }
  auto dbs = (*conn)->Query(
      "SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY 1");
  if (!dbs.ok()) {
    out.failures.push_back("list databases: " + dbs.status().message());
    return out;
  }
  bool amcheck_available = EnableAmcheck(**conn, out);
  out.notes.push_back(amcheck_available
                          ? "amcheck: bt_index_check(heapallindexed) and verify_heapam"
                          : "amcheck: not available; row reads only");
  for (const auto& row : dbs->rows)
    CheckDatabase(instance, row[0].value_or(""), out);
  return out;
}

}  // namespace hasteward::engine::postgres
