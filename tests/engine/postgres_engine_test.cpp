// Integration: the PostgreSQL engine against a real sandbox (primary + 1 streaming standby).
#include "engine/postgres/postgres_engine.h"

#include <csignal>
#include <cstdlib>

#include <gtest/gtest.h>

#include "core/poll_until.h"
#include "engine/engine_sandbox.h"
#include "engine/postgres/pg_connection.h"
#include "engine/postgres/triage.h"
#include "engine/shared_sandbox_test.h"

namespace hasteward::engine::postgres {
namespace {

class PostgresEngineTest : public SharedSandboxTest<PostgresEngineTest> {
 public:
  static constexpr SandboxSpec kSandbox{EngineKind::kPostgres, 2, "engpg"};

 protected:
  // A connection through the instance's handle, as the engine connects.
  core::Result<std::unique_ptr<PgConnection>> ConnectThroughHandle(int ordinal,
                                                                   const std::string& db) {
    HS_ASSIGN_OR_RETURN(
        auto handle, sandbox_->platform().OpenInstance(cluster_, *cluster_.FindInstance(ordinal)));
    return PgConnection::ConnectInstance(*handle, db);
  }
  std::unique_ptr<PgConnection> Connect(int ordinal, const std::string& db = "postgres") {
    auto c = ConnectThroughHandle(ordinal, db);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(c).value() : nullptr;
  }
  void Sql(const std::string& sql, const std::string& db = "app") {
    auto c = Connect(0, db);
    ASSERT_TRUE(c);
    auto st = c->Execute(sql);
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  // md5 over the ordered rows of each table; empty when `app` cannot be reached (a poll calls it
  // while a standby replays the restore's DROP DATABASE and CREATE DATABASE).
  std::map<std::string, std::string> Checksums(int ordinal = 0) {
    std::map<std::string, std::string> out;
    auto connected = ConnectThroughHandle(ordinal, "app");
    if (!connected.ok())
      return out;
    auto c = std::move(connected).value();
    for (const char* t : {"items", "blobs"}) {
      auto v = c->QueryValue(std::string("SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY "
                                         "x.id), '')) || ':' || count(*) FROM ") +
                             t + " x");
      out[t] = v.ok() ? v->value_or("NULL") : "ERROR " + v.status().message();
    }
    return out;
  }
  void WriteDataset() {
    {
      auto c = Connect(0);
      ASSERT_TRUE(c);
      ASSERT_TRUE(c->Execute("DROP DATABASE IF EXISTS app WITH (FORCE)").ok());
      ASSERT_TRUE(c->Execute("CREATE DATABASE app").ok());
    }
    Sql("CREATE TABLE items (id int PRIMARY KEY, name text, price numeric(10,2))");
    Sql("INSERT INTO items SELECT g, 'item ' || g || ' ''q''', g * 1.25 FROM "
        "generate_series(1, 2000) g");
    Sql("CREATE TABLE blobs (id int PRIMARY KEY, data bytea)");
    Sql("INSERT INTO blobs SELECT g, decode(md5(g::text) || '00ff', 'hex') FROM "
        "generate_series(1, 500) g");
  }
  core::Result<std::string> DumpAll(const BackupPlan& plan) {
    HS_ASSIGN_OR_RETURN(auto stream, engine_.OpenDump(sandbox_->platform(), cluster_, plan));
    core::MemorySink sink;
    std::vector<uint8_t> buf(65536);
    while (true) {
      HS_ASSIGN_OR_RETURN(size_t n, stream->Read(buf));
      if (n == 0)
        break;
      HS_TRY(sink.Write(core::ByteView(buf.data(), n)));
    }
    return core::AsString(sink.data());
  }
  core::Status Restore(const std::string& dump, bool confirm) {
    RestoreOptions o;
    o.confirm_overwrite = confirm;
    HS_ASSIGN_OR_RETURN(auto plan, engine_.PlanRestore(sandbox_->platform(), cluster_, o));
    HS_ASSIGN_OR_RETURN(auto sink, engine_.OpenRestore(sandbox_->platform(), cluster_, plan));
    HS_TRY(sink->Write(core::AsBytes(dump)));
    return sink->Close();
  }

  PostgresEngine engine_;
};

TEST_F(PostgresEngineTest, BackupDropRestoreGivesOriginalChecksums) {
  WriteDataset();
  auto before = Checksums();
  ASSERT_EQ(before.size(), 2u);
  EXPECT_NE(before["items"].find(":2000"), std::string::npos);

  auto plan = engine_.PlanBackup(sandbox_->platform(), cluster_);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->source.ordinal, 0);
  EXPECT_EQ(plan->role, InstanceRole::kPrimary);
  EXPECT_EQ(plan->virtual_filename, "pgdumpall.sql");
  EXPECT_NE(plan->metadata["skipped"].find("standby"), std::string::npos);
  auto dump = DumpAll(*plan);
  ASSERT_TRUE(dump.ok()) << dump.status().ToString();
  EXPECT_NE(dump->find(kPgDumpallEndMarker), std::string::npos);

  Sql("DROP TABLE items");
  Sql("UPDATE blobs SET data = '\\x00' WHERE id < 10");
  EXPECT_NE(Checksums()["blobs"], before["blobs"]);

  auto refused = Restore(*dump, false);
  EXPECT_EQ(refused.code(), core::ErrorCode::kConfirmationRequired) << refused.ToString();
  EXPECT_NE(refused.message().find("'app'"), std::string::npos);

  auto st = Restore(*dump, true);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(Checksums(), before);
  // The standby follows the restore by streaming replication.
  core::PollUntil([&] { return Checksums(1) == before; }, std::chrono::seconds(20),
                  std::chrono::milliseconds(100));
  EXPECT_EQ(Checksums(1), before);
}

TEST_F(PostgresEngineTest, WrongPasswordIsAuthFailed) {
  ::setenv("HS_ENGINE_TEST_WRONG_PW", "not-the-password", 1);
  cluster_.credentials.password = {"", "HS_ENGINE_TEST_WRONG_PW"};
  auto plan = engine_.PlanBackup(sandbox_->platform(), cluster_);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), core::ErrorCode::kAuthFailed) << plan.status().ToString();
  EXPECT_EQ(plan.status().ToString().find("not-the-password"), std::string::npos);
  auto restore = engine_.PlanRestore(sandbox_->platform(), cluster_, RestoreOptions{true});
  EXPECT_EQ(restore.status().code(), core::ErrorCode::kAuthFailed);
}

TEST_F(PostgresEngineTest, DumpKilledMidStreamIsAnErrorNotEndOfStream) {
  WriteDataset();
  Sql("INSERT INTO items SELECT g, repeat(md5(g::text), 20), 1 FROM generate_series(3000, 12000) "
      "g");
  auto plan = engine_.PlanBackup(sandbox_->platform(), cluster_);
  ASSERT_TRUE(plan.ok());
  auto stream = engine_.OpenDump(sandbox_->platform(), cluster_, *plan);
  ASSERT_TRUE(stream.ok());
  std::vector<uint8_t> buf(4096);
  ASSERT_TRUE((*stream)->Read(buf).ok());
  (*stream)->process().Signal(SIGKILL);
  core::Status failure;
  while (true) {
    auto n = (*stream)->Read(buf);
    if (!n.ok()) {
      failure = n.TakeStatus();
      break;
    }
    ASSERT_NE(*n, 0u) << "a killed dump must not end cleanly";
  }
  EXPECT_EQ(failure.code(), core::ErrorCode::kDumpFailed);
  EXPECT_NE(failure.message().find("signal 9"), std::string::npos) << failure.message();
}

TEST_F(PostgresEngineTest, ConnectionLostMidStreamIsAnError) {
  WriteDataset();
  Sql("INSERT INTO items SELECT g, repeat(md5(g::text), 20), 1 FROM generate_series(3000, 12000) "
      "g");
  auto plan = engine_.PlanBackup(sandbox_->platform(), cluster_);
  ASSERT_TRUE(plan.ok());
  auto stream = engine_.OpenDump(sandbox_->platform(), cluster_, *plan);
  ASSERT_TRUE(stream.ok());
  std::vector<uint8_t> buf(4096);
  // pg_dumpall runs pg_dump per database; wait until it dumps "app", then cut its connection.
  auto admin = Connect(0);
  ASSERT_TRUE(admin);
  bool cut = false;
  core::Status failure;
  for (int i = 0; i < 100000 && failure.ok(); ++i) {
    auto n = (*stream)->Read(buf);
    if (!n.ok()) {
      failure = n.TakeStatus();
      break;
    }
    ASSERT_NE(*n, 0u) << "the dump ended although its connection was terminated";
    if (!cut) {
      auto v = admin->QueryValue(
          "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = 'app' "
          "AND application_name = 'pg_dump'");
      cut = v.ok() && v->value_or("0") != "0";
    }
  }
  EXPECT_TRUE(cut);
  EXPECT_EQ(failure.code(), core::ErrorCode::kDumpFailed) << failure.ToString();
}

TEST_F(PostgresEngineTest, UnknownPortIsUnreachable) {
  for (auto& i : cluster_.instances) {
    i.port = 1;  // nothing listens there
  }
  auto plan = engine_.PlanBackup(sandbox_->platform(), cluster_);
  EXPECT_EQ(plan.status().code(), core::ErrorCode::kUnreachable) << plan.status().ToString();
  auto restore = engine_.PlanRestore(sandbox_->platform(), cluster_, RestoreOptions{true});
  EXPECT_EQ(restore.status().code(), core::ErrorCode::kUnreachable);
}

TEST_F(PostgresEngineTest, TriageOfHealthyClusterIsHealthy) {
  auto report = TriagePostgres(sandbox_->platform(), cluster_);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->verdict, Verdict::kHealthy);
  ASSERT_EQ(report->instances.size(), 2u);
  EXPECT_EQ(report->instances[0].role, InstanceRole::kPrimary);
  EXPECT_EQ(report->instances[1].role, InstanceRole::kStandby);
  EXPECT_EQ(report->instances[1].facts["wal_receiver_status"], "streaming");
  EXPECT_EQ(report->instances[0].facts["control_state"], "in production");
  EXPECT_EQ(report->instances[0].facts["streaming_standbys"], "1");
  EXPECT_FALSE(report->instances[0].facts["disk_used_pct"].empty());
  // Its speed (under a second) is measured by bench/triage_latency.sh, not bounded here.
}

// Last: stops the primary.
TEST_F(PostgresEngineTest, ZzPrimaryDownIsUnreachableAndNamesIt) {
  const auto* primary = cluster_.FindInstance(0);
  ASSERT_TRUE(sandbox_->platform().StopInstance(cluster_, *primary).ok());
  auto plan = engine_.PlanBackup(sandbox_->platform(), cluster_);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), core::ErrorCode::kUnreachable) << plan.status().ToString();
  EXPECT_NE(plan.status().message().find(primary->name), std::string::npos);
  auto restore = engine_.PlanRestore(sandbox_->platform(), cluster_, RestoreOptions{true});
  EXPECT_EQ(restore.status().code(), core::ErrorCode::kUnreachable);
  auto report = TriagePostgres(sandbox_->platform(), cluster_);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->verdict, Verdict::kDegraded);
  EXPECT_EQ(report->instances[0].state, InstanceState::kStopped);
  EXPECT_EQ(report->instances[0].facts["control_state"], "shut down");
}

}  // namespace
}  // namespace hasteward::engine::postgres
