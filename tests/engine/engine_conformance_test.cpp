// The engine conformance scenarios (engine_conformance.h), instantiated for PostgreSQL ("cnpg"),
// MariaDB replication and Galera on real sandbox clusters.
#include "engine/engine_conformance.h"

#include <csignal>
#include <fstream>
#include <thread>

#include "core/poll_until.h"
#include "support/sandbox_cluster.h"
#include "support/trim.h"

namespace hasteward::engine::testing {

namespace {

using hasteward::testing::Trim;

std::string g_sandbox_case;  // which EngineCase Sandbox() currently holds

std::string Findings(const TriageReport& r) {
  std::string out;
  for (const auto& f : r.findings)
    out += "\n  " + f.instance + ": " + f.message;
  return out;
}

}  // namespace

std::unique_ptr<EngineSandbox>& EngineConformanceTest::Sandbox() {
  static std::unique_ptr<EngineSandbox> sandbox;
  return sandbox;
}

void EngineConformanceTest::TearDownTestSuite() {
  Sandbox().reset();
  g_sandbox_case.clear();
}

void EngineConformanceTest::SetUp() {
  std::signal(SIGPIPE, SIG_IGN);
  const EngineCase& c = GetParam();
  bool fresh_sandbox = false;
  if (g_sandbox_case != c.name || Sandbox() == nullptr) {
    Sandbox().reset();
    auto up = EngineSandbox::Up(c.kind, c.instances, "conf" + c.name);
    ASSERT_TRUE(up.ok()) << up.status().ToString();
    Sandbox() = std::move(up).value();
    g_sandbox_case = c.name;
    fresh_sandbox = true;
  }
  cluster_ = Sandbox()->cluster();
  auto engine = MakeEngine(c.kind);
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  engine_ = std::move(engine).value();
  // Every scenario starts from the same user data, whether the scenarios share one process (the
  // test binary run directly) or each runs in its own (ctest runs one test per process).
  if (fresh_sandbox) {
    for (const auto& sql : c.create_data)
      Sql(0, sql);
    for (int n = 0; n < c.instances; ++n)
      ASSERT_EQ(WaitForRows(n, "100"), "100") << "instance " << n;
  }
}

std::string EngineConformanceTest::Sql(int ordinal, const std::string& sql,
                                       const std::string& database) {
  auto out = hasteward::testing::RunClusterSql(cluster_, ordinal, sql, database);
  EXPECT_TRUE(out.ok()) << sql << ": " << out.status().ToString();
  return out.ok() ? Trim(*out) : "";
}

std::string EngineConformanceTest::WaitForRows(int ordinal, const std::string& want) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::string got;
  while (std::chrono::steady_clock::now() < deadline) {
    auto out = hasteward::testing::RunClusterSql(cluster_, ordinal, GetParam().count_rows,
                                                 GetParam().database);
    got = out.ok() ? Trim(*out) : out.status().message();
    if (got == want)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return got;
}

std::vector<std::string> EngineConformanceTest::Checksums(const platform::Instance& instance) {
  auto handle = Sandbox()->platform().OpenInstance(cluster_, instance);
  EXPECT_TRUE(handle.ok()) << handle.status().ToString();
  if (!handle.ok())
    return {};
  DataCheck check = engine_->CheckData(**handle);
  EXPECT_TRUE(check.failures.empty()) << check.failures.front();
  std::vector<std::string> out;
  for (const auto& t : check.tables) {
    out.push_back(t.database + "." + t.table + " " + std::to_string(t.rows) + " " + t.checksum);
  }
  return out;
}

TEST_P(EngineConformanceTest, HealthyClusterTriageIsHealthyWithDocumentedWriters) {
  auto report = engine_->Triage(Sandbox()->platform(), cluster_);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->verdict, Verdict::kHealthy) << Findings(*report);
  EXPECT_EQ(report->engine, GetParam().kind);
  ASSERT_EQ(report->instances.size(), static_cast<size_t>(GetParam().instances));
  int writable = 0;
  for (const auto& h : report->instances) {
    EXPECT_EQ(h.state, InstanceState::kHealthy) << h.instance.name << ": " << h.error;
    EXPECT_NE(h.role, InstanceRole::kUnknown) << h.instance.name;
    writable += h.writable ? 1 : 0;
  }
  EXPECT_EQ(writable, GetParam().writable);
}

TEST_P(EngineConformanceTest, DescribesEveryInstance) {
  auto report = engine_->Triage(Sandbox()->platform(), cluster_);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  for (const auto& h : report->instances) {
    InstanceDescription d = engine_->DescribeInstanceHealth(h);
    EXPECT_FALSE(d.position.empty()) << h.instance.name;
    EXPECT_NE(d.position, "-") << h.instance.name << ": a healthy instance has a position";
    EXPECT_NE(d.position, "UNKNOWN") << h.instance.name;
    EXPECT_FALSE(d.detail.empty()) << h.instance.name;
  }
}

TEST_P(EngineConformanceTest, BackupRoundTripsThroughRestorePlanWithEqualChecksums) {
  const EngineCase& c = GetParam();
  for (int n = 0; n < c.instances; ++n)
    ASSERT_EQ(WaitForRows(n, "100"), "100") << "instance " << n;

  auto plan = engine_->PlanBackup(Sandbox()->platform(), cluster_);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_FALSE(plan->reason.empty());
  EXPECT_EQ(plan->virtual_filename, engine_->DumpFileName());
  EXPECT_TRUE(plan->role == InstanceRole::kPrimary || plan->role == InstanceRole::kReplica ||
              plan->role == InstanceRole::kGaleraNode)
      << RoleName(plan->role);
  std::vector<std::string> before = Checksums(plan->source);
  ASSERT_FALSE(before.empty());

  auto stream = engine_->OpenDump(Sandbox()->platform(), cluster_, *plan);
  ASSERT_TRUE(stream.ok()) << stream.status().ToString();
  std::string dump;
  std::vector<uint8_t> buf(65536);
  while (true) {
    auto n = (*stream)->Read(buf);
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    if (*n == 0)
      break;
    dump.append(core::AsString(core::ByteView(buf.data(), *n)));
  }
  EXPECT_NE(dump.find(engine_->DumpEndMarker()), std::string::npos);

  Sql(0, c.drop_data);
  RestoreOptions confirm;
  confirm.confirm_overwrite = true;
  auto restore_plan = engine_->PlanRestore(Sandbox()->platform(), cluster_, confirm);
  ASSERT_TRUE(restore_plan.ok()) << restore_plan.status().ToString();
  auto sink = engine_->OpenRestore(Sandbox()->platform(), cluster_, *restore_plan);
  ASSERT_TRUE(sink.ok()) << sink.status().ToString();
  ASSERT_TRUE((*sink)->Write(core::AsBytes(dump)).ok());
  core::Status closed = (*sink)->Close();
  ASSERT_TRUE(closed.ok()) << closed.ToString();

  EXPECT_EQ(Checksums(restore_plan->target), before);
  for (int n = 0; n < c.instances; ++n)
    EXPECT_EQ(WaitForRows(n, "100"), "100") << "instance " << n << " after the restore";
}

TEST_P(EngineConformanceTest, RestoreWithoutConfirmationIsRefusedAndChangesNothing) {
  auto report = engine_->Triage(Sandbox()->platform(), cluster_);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  std::vector<std::string> before = Checksums(cluster_.instances.front());
  ASSERT_FALSE(before.empty()) << "SetUp wrote user data";

  auto plan = engine_->PlanRestore(Sandbox()->platform(), cluster_, RestoreOptions{});
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), core::ErrorCode::kConfirmationRequired)
      << plan.status().ToString();
  EXPECT_NE(plan.status().message().find("conf"), std::string::npos) << plan.status().message();
  EXPECT_EQ(Checksums(cluster_.instances.front()), before);
}

TEST_P(EngineConformanceTest, OptionalCapabilitiesReportUnsupported) {
  EXPECT_EQ(engine_->archiving() != nullptr, GetParam().archives);
  // Galera has no primary to change; MariaDB replication has a switchover (engine/mariadb).
  if (GetParam().kind == platform::EngineKind::kGalera) {
    EXPECT_EQ(engine_->switchover(), nullptr);
  }
  if (GetParam().kind == platform::EngineKind::kMariadb) {
    EXPECT_NE(engine_->switchover(), nullptr);
  }
  core::Status st = Unsupported(*engine_, "switchover");
  EXPECT_EQ(st.code(), core::ErrorCode::kUsage);
  EXPECT_NE(st.message().find(platform::EngineKindName(GetParam().kind)), std::string::npos);
  EXPECT_FALSE(st.hint().empty());
}

WriteProbeResult EngineConformanceTest::Probe(int ordinal, const std::string& user,
                                              const std::string& password) {
  std::string file = ::testing::TempDir() + "/probe-password-" + GetParam().name;
  {
    std::ofstream out(file, std::ios::trunc);
    out << password << "\n";
  }
  const platform::Instance& instance = cluster_.instances[static_cast<size_t>(ordinal)];
  return engine_->ProbeWritable({.host = instance.host,
                                 .port = instance.port,
                                 .credentials = {user, platform::SecretRef(file, "")}});
}

// Only a write that succeeds counts: the writer is writable (and the rolled-back probe moves no
// position), an instance that answers but is read-only or in recovery is not.
TEST_P(EngineConformanceTest, WriteProbeSaysWritableOnlyWhereAWriteSucceeds) {
  const EngineCase& c = GetParam();
  Sql(0, c.create_probe_user);
  std::string before = c.position_sql.empty() ? "" : Sql(0, c.position_sql);
  WriteProbeResult writer = Probe(0, "hs_probe", "probe-pw");
  EXPECT_EQ(writer.verdict, WriteProbeVerdict::kWritable) << writer.detail;
  if (!c.position_sql.empty()) {
    EXPECT_EQ(Sql(0, c.position_sql), before) << "the probe left a transaction behind";
  }
  if (!c.fence_sql.empty()) {
    Sql(c.read_only_ordinal, c.fence_sql);
  }
  // The account reaches the other instance by replication: poll until it logs in there.
  WriteProbeResult fenced;
  core::PollUntil(
      [&] {
        fenced = Probe(c.read_only_ordinal, "hs_probe", "probe-pw");
        return fenced.verdict != WriteProbeVerdict::kRefused;
      },
      std::chrono::seconds(30), std::chrono::milliseconds(200));
  if (!c.unfence_sql.empty()) {
    Sql(c.read_only_ordinal, c.unfence_sql);
  }
  EXPECT_EQ(fenced.verdict, WriteProbeVerdict::kNotWritable) << fenced.detail;
  EXPECT_FALSE(fenced.detail.empty());
}

// Bad credentials are told apart from a fenced server (never "not writable"), and a closed port
// from both.
TEST_P(EngineConformanceTest, WriteProbeTellsRefusedCredentialsAndAClosedPortApart) {
  Sql(0, GetParam().create_probe_user);
  WriteProbeResult wrong = Probe(0, "hs_probe", "not-the-password");
  EXPECT_EQ(wrong.verdict, WriteProbeVerdict::kRefused) << wrong.detail;
  EXPECT_EQ(wrong.detail.find("not-the-password"), std::string::npos) << "a secret in a message";
  // The same account (its password file was just written) where nothing listens.
  WriteProbeResult nothing = engine_->ProbeWritable(
      {.host = "127.0.0.1",
       .port = 1,
       .credentials = {
           "hs_probe",
           platform::SecretRef(::testing::TempDir() + "/probe-password-" + GetParam().name, "")}});
  EXPECT_EQ(nothing.verdict, WriteProbeVerdict::kUnreachable) << nothing.detail;
}

// Runs last (Zz): it stops an instance. Rows written while it is down must reach it after the heal.
TEST_P(EngineConformanceTest, ZzStoppedInstanceIsDegradedAndHealBringsItBack) {
  const EngineCase& c = GetParam();
  const platform::Instance& victim = cluster_.instances.back();
  ASSERT_TRUE(Sandbox()->platform().StopInstance(cluster_, victim).ok());

  auto degraded = engine_->Triage(Sandbox()->platform(), cluster_);
  ASSERT_TRUE(degraded.ok()) << degraded.status().ToString();
  EXPECT_EQ(degraded->verdict, Verdict::kDegraded) << Findings(*degraded);
  bool named = false;
  for (const auto& f : degraded->findings)
    named = named || f.instance == victim.name;
  EXPECT_TRUE(named) << "no finding names '" << victim.name << "'" << Findings(*degraded);

  Sql(0, c.insert_row);
  ASSERT_EQ(WaitForRows(0, "101"), "101");

  auto plan = PlanRepair(*engine_, *degraded, RepairRequest{});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_TRUE(plan->donor.has_value());
  ASSERT_EQ(plan->heals.size(), 1U);
  EXPECT_EQ(plan->heals[0].target.name, victim.name);

  HealOptions options;
  options.stamp = "conformance";
  options.heal_timeout = std::chrono::seconds(120);
  options.log = [](const std::string& line) {
    std::fprintf(stderr, "heal: %s\n", line.c_str());
  };
  core::Status prepared = engine_->PrepareToHeal(Sandbox()->platform(), cluster_, victim, options);
  ASSERT_TRUE(prepared.ok()) << prepared.ToString();
  core::Status healed =
      engine_->HealInstance(Sandbox()->platform(), cluster_, victim, *plan->donor, options);
  ASSERT_TRUE(healed.ok()) << healed.ToString();

  auto after = engine_->Triage(Sandbox()->platform(), cluster_);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(after->verdict, Verdict::kHealthy) << Findings(*after);
  EXPECT_EQ(WaitForRows(c.instances - 1, "101"), "101");
}

EngineCase PostgresCase() {
  EngineCase c;
  c.name = "cnpg";
  c.kind = platform::EngineKind::kPostgres;
  c.instances = 2;
  c.create_data = {"CREATE DATABASE conf",
                   "\\connect conf\nCREATE TABLE items (id int PRIMARY KEY, name text);\n"
                   "INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 100) g;"};
  c.insert_row = "\\connect conf\nINSERT INTO items VALUES (101, 'written while down');";
  c.count_rows = "SELECT count(*) FROM items";
  c.drop_data = "DROP DATABASE conf WITH (FORCE)";
  c.database = "conf";
  c.archives = true;
  c.create_probe_user =
      "DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'hs_probe') THEN "
      "CREATE ROLE hs_probe LOGIN PASSWORD 'probe-pw'; END IF; END$$";
  c.read_only_ordinal = 1;  // the standby, in recovery
  return c;
}

EngineCase MariadbCase(const std::string& name, platform::EngineKind kind, int instances,
                       int writable) {
  EngineCase c;
  c.name = name;
  c.kind = kind;
  c.instances = instances;
  c.writable = writable;
  c.create_data = {
      "CREATE DATABASE conf; CREATE TABLE conf.items (id int PRIMARY KEY, name text); "
      "USE conf; INSERT INTO items SELECT seq, CONCAT('item ', seq) FROM seq_1_to_100;"};
  c.insert_row = "INSERT INTO conf.items VALUES (101, 'written while down');";
  c.count_rows = "SELECT COUNT(*) FROM conf.items";
  c.drop_data = "DROP DATABASE conf";
  c.create_probe_user = "CREATE USER IF NOT EXISTS 'hs_probe'@'%' IDENTIFIED BY 'probe-pw'";
  c.position_sql = "SELECT @@gtid_binlog_pos";
  if (kind == platform::EngineKind::kGalera) {
    c.read_only_ordinal = 1;  // every node is writable: one is fenced the way a user does it
    c.fence_sql = "SET GLOBAL read_only = ON";
    c.unfence_sql = "SET GLOBAL read_only = OFF";
  } else {
    c.read_only_ordinal = 1;  // the replica runs with read_only = ON
  }
  return c;
}

INSTANTIATE_TEST_SUITE_P(Cnpg, EngineConformanceTest, ::testing::Values(PostgresCase()),
                         EngineCaseName);
INSTANTIATE_TEST_SUITE_P(Mariadb, EngineConformanceTest,
                         ::testing::Values(MariadbCase("mariadb", platform::EngineKind::kMariadb, 2,
                                                       1)),
                         EngineCaseName);
INSTANTIATE_TEST_SUITE_P(Galera, EngineConformanceTest,
                         ::testing::Values(MariadbCase("galera", platform::EngineKind::kGalera, 3,
                                                       3)),
                         EngineCaseName);

}  // namespace hasteward::engine::testing
