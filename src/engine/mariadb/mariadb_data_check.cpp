// MariadbFamilyEngine::CheckData: per-table row count, CHECKSUM TABLE and CHECK TABLE of every
// base table outside the system schemas.
#include "engine/mariadb/mariadb_connection.h"
#include "engine/mariadb/mariadb_engine.h"

namespace hasteward::engine::mariadb {

namespace {

std::string Ident(const std::string& s) {
  std::string out = "`";
  for (char c : s)
    out += c == '`' ? std::string("``") : std::string(1, c);
  return out + "`";
}

std::string Literal(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "'";
}

// CHECK TABLE returns one or more rows; the last row's Msg_type is "status" with "OK" (or
// "Table is already up to date") when the table is sound, "error" rows otherwise.
std::string CheckTable(MariadbConnection& conn, const std::string& name) {
  auto rows = conn.Query("CHECK TABLE " + name);
  if (!rows.ok())
    return rows.status().message();
  std::string problem;
  for (size_t i = 0; i < rows->size(); ++i) {
    std::string type = rows->GetOr(i, "Msg_type");
    std::string text = rows->GetOr(i, "Msg_text");
    if (type == "error" ||
        (type == "status" && text != "OK" && text.find("up to date") == std::string::npos)) {
      problem += (problem.empty() ? "" : "; ") + text;
    }
  }
  return problem.empty() ? "ok" : "CHECK TABLE: " + problem;
}

void CheckOneTable(MariadbConnection& conn, const std::string& db, const std::string& table,
                   DataCheck& out) {
  std::string name = Ident(db) + "." + Ident(table);
  TableCheck t{db, table, 0, "", "ok"};
  auto count = conn.QueryValue("SELECT COUNT(*) FROM " + name);
  auto sum = conn.Query("CHECKSUM TABLE " + name);
  if (!count.ok() || !sum.ok()) {
    t.check = !count.ok() ? count.status().message() : sum.status().message();
    out.failures.push_back("table '" + db + "." + table + "' is not readable: " + t.check);
  } else {
    t.rows = std::stoll(count->value_or("0"));
    t.checksum = sum->GetOr(0, "Checksum", "NULL");
    t.check = CheckTable(conn, name);
    if (t.check != "ok")
      out.failures.push_back("table '" + db + "." + table + "': " + t.check);
  }
  out.tables.push_back(std::move(t));
}

}  // namespace

DataCheck MariadbFamilyEngine::CheckData(const platform::InstanceHandle& instance) {
  DataCheck out;
  out.notes.push_back("engine check: CHECK TABLE on every base table");
  auto conn = MariadbConnection::ConnectInstance(instance);
  if (!conn.ok()) {
    out.failures.push_back("server does not answer: " + conn.status().message());
    return out;
  }
  auto dbs = (*conn)->Query(
      "SELECT schema_name FROM information_schema.schemata WHERE schema_name NOT IN "
      "('mysql', 'information_schema', 'performance_schema', 'sys') ORDER BY 1");
  if (!dbs.ok()) {
    out.failures.push_back("list databases: " + dbs.status().message());
    return out;
  }
  for (const auto& row : dbs->rows) {
    std::string db = row[0].value_or("");
    auto tables = (*conn)->Query(
        "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND "
        "table_schema = " +
        Literal(db) + " ORDER BY 1");
    if (!tables.ok()) {
      out.failures.push_back("list tables of '" + db + "': " + tables.status().message());
      continue;
    }
    for (const auto& t : tables->rows)
      CheckOneTable(**conn, db, t[0].value_or(""), out);
  }
  return out;
}

}  // namespace hasteward::engine::mariadb
