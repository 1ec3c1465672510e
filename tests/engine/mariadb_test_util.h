#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/engine.h"
#include "engine/mariadb/mariadb_connection.h"

// Helpers shared by the MariaDB replication and Galera integration tests.
namespace hasteward::engine::mariadb {

// An admin connection to instance `ordinal` at its inventory address: the sandbox's instances
// are local, so the test dials them itself (engine code goes through a handle's endpoint).
inline core::Result<std::unique_ptr<MariadbConnection>> ConnectAdmin(const platform::Cluster& c,
                                                                     int ordinal) {
  const platform::Instance& instance = *c.FindInstance(ordinal);
  MariadbConnectParams params;
  params.host = instance.host.empty() ? "127.0.0.1" : instance.host;
  params.port = instance.port;
  params.socket = instance.socket;
  params.user = MariadbUser(c);
  HS_ASSIGN_OR_RETURN(params.password, c.credentials.password.Resolve());
  params.display_name = "'" + instance.name + "'";
  return MariadbConnection::Connect(params);
}

inline std::unique_ptr<MariadbConnection> ConnectTo(const platform::Cluster& c, int ordinal) {
  auto conn = ConnectAdmin(c, ordinal);
  EXPECT_TRUE(conn.ok()) << conn.status().ToString();
  return conn.ok() ? std::move(conn).value() : nullptr;
}

inline void RunSql(const platform::Cluster& c, int ordinal, const std::string& sql) {
  auto conn = ConnectTo(c, ordinal);
  ASSERT_TRUE(conn);
  auto st = conn->Execute(sql);
  ASSERT_TRUE(st.ok()) << sql << ": " << st.ToString();
}

inline void WriteMariadbDataset(const platform::Cluster& c, int ordinal) {
  for (const char* sql :
       {"DROP DATABASE IF EXISTS app", "CREATE DATABASE app",
        "CREATE TABLE app.items (id INT PRIMARY KEY, name VARCHAR(100), price DECIMAL(10,2)) "
        "ENGINE=InnoDB",
        "INSERT INTO app.items SELECT seq, CONCAT('item ', seq, ' ''q'''), seq * 1.25 FROM "
        "app.seq_1_to_2000",
        "CREATE TABLE app.blobs (id INT PRIMARY KEY, data BLOB) ENGINE=InnoDB",
        "INSERT INTO app.blobs SELECT seq, UNHEX(CONCAT(MD5(seq), '00ff')) FROM app.seq_1_to_500",
        "CREATE TRIGGER app.items_bi BEFORE INSERT ON app.items FOR EACH ROW SET NEW.name = "
        "COALESCE(NEW.name, 'unnamed')",
        "CREATE PROCEDURE app.item_count() SELECT COUNT(*) FROM app.items"}) {
    RunSql(c, ordinal, sql);
  }
}

// CHECKSUM TABLE per table, plus routine and trigger names.
inline std::map<std::string, std::string> MariadbChecksums(const platform::Cluster& c,
                                                           int ordinal) {
  std::map<std::string, std::string> out;
  auto conn = ConnectAdmin(c, ordinal);
  if (!conn.ok()) {
    out["error"] = conn.status().message();
    return out;
  }
  for (const char* t : {"app.items", "app.blobs"}) {
    auto rows = (*conn)->Query(std::string("CHECKSUM TABLE ") + t);
    out[t] = rows.ok() ? rows->GetOr(0, "Checksum", "NULL") : "ERROR";
  }
  auto r = (*conn)->QueryValue(
      "SELECT GROUP_CONCAT(name ORDER BY name) FROM (SELECT routine_name AS name FROM "
      "information_schema.routines WHERE routine_schema = 'app' UNION ALL SELECT trigger_name "
      "FROM information_schema.triggers WHERE trigger_schema = 'app') x");
  out["objects"] = r.ok() ? r->value_or("") : "ERROR";
  return out;
}

inline core::Result<std::string> DumpAll(Engine& engine, platform::Platform& platform,
                                         const platform::Cluster& cluster, const BackupPlan& plan,
                                         std::map<std::string, std::string>* metadata = nullptr) {
  HS_ASSIGN_OR_RETURN(auto stream, engine.OpenDump(platform, cluster, plan));
  std::string out;
  std::vector<uint8_t> buf(65536);
  while (true) {
    HS_ASSIGN_OR_RETURN(size_t n, stream->Read(buf));
    if (n == 0)
      break;
    out.append(reinterpret_cast<const char*>(buf.data()), n);
  }
  if (metadata != nullptr) {
    *metadata = stream->metadata();
  }
  return out;
}

inline core::Status RestoreAll(Engine& engine, platform::Platform& platform,
                               const platform::Cluster& cluster, const std::string& dump,
                               bool confirm) {
  RestoreOptions o;
  o.confirm_overwrite = confirm;
  HS_ASSIGN_OR_RETURN(auto plan, engine.PlanRestore(platform, cluster, o));
  HS_ASSIGN_OR_RETURN(auto sink, engine.OpenRestore(platform, cluster, plan));
  HS_TRY(sink->Write(core::AsBytes(dump)));
  return sink->Close();
}

// Reads a dump until it fails; the status (kOk would mean the dump ended cleanly).
inline core::Status ReadUntilFailure(DumpStream& stream) {
  std::vector<uint8_t> buf(4096);
  while (true) {
    auto n = stream.Read(buf);
    if (!n.ok())
      return n.TakeStatus();
    if (*n == 0)
      return core::Status::Ok();
  }
}

}  // namespace hasteward::engine::mariadb
