// The engine conformance suite (tests/engine/engine_conformance_test.cpp holds the TEST_Ps): the
// same scenarios against every engine::Engine on a real sandbox cluster, through the Engine
// interface only — triage, instance descriptions, backup -> restore round trip with the engine's
// own per-table checksums, the restore confirmation gate, the write probe's verdicts, a stopped
// instance healed back, and the optional capabilities. One sandbox per engine is shared by its
// scenarios (started by the first, taken down after the last); the scenario that stops an instance
// runs last.
//   INSTANTIATE_TEST_SUITE_P(Cnpg, EngineConformanceTest, ::testing::Values(PostgresCase()),
//                            EngineCaseName);
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/engine.h"
#include "engine/engine_sandbox.h"

namespace hasteward::engine::testing {

// One engine under test and the SQL (in its dialect) the scenarios write user data with.
struct EngineCase {
  std::string name;  // gtest-safe: letters and digits only
  platform::EngineKind kind = platform::EngineKind::kPostgres;
  int instances = 2;
  int writable = 1;  // writable instances of a healthy cluster (Galera: every node)
  std::vector<std::string> create_data;  // run in order on the writer; creates database "conf"
  std::string insert_row;                // one more row into conf's table
  std::string count_rows;                // prints the row count of that table
  std::string drop_data;                 // drops database "conf" (run outside it)
  std::string database;                  // the database count_rows runs in ("" = none)
  bool archives = false;                 // has the Archiving capability (point-in-time recovery)
  // The write probe's scenario: an ordinary account made on the writer (password 'probe-pw'),
  // the instance that answers but takes no writes, made so by `fence_sql` run there first (and
  // undone by `unfence_sql`; "" = it is read-only already: a standby, a replica), and a position
  // a rolled-back probe must leave unchanged ("" = none to compare).
  std::string create_probe_user;
  int read_only_ordinal = 1;
  std::string fence_sql;
  std::string unfence_sql;
  std::string position_sql;
};

inline void PrintTo(const EngineCase& c, std::ostream* os) {
  *os << c.name;
}

inline std::string EngineCaseName(const ::testing::TestParamInfo<EngineCase>& info) {
  return info.param.name;
}

class EngineConformanceTest : public ::testing::TestWithParam<EngineCase> {
 protected:
  static void TearDownTestSuite();
  void SetUp() override;

  // Runs SQL on instance `ordinal` with the stock client; fails the test on error.
  std::string Sql(int ordinal, const std::string& sql, const std::string& database = "");
  // conf's row count on `ordinal`, polled until it equals `want` or 60 s passed.
  std::string WaitForRows(int ordinal, const std::string& want);
  // The engine's data check of `instance` as "db.table rows checksum" lines.
  std::vector<std::string> Checksums(const platform::Instance& instance);
  // The engine's write probe of instance `ordinal` as `user` with password `password`.
  WriteProbeResult Probe(int ordinal, const std::string& user, const std::string& password);

  // The sandbox shared by this engine's scenarios (one per instantiation).
  static std::unique_ptr<EngineSandbox>& Sandbox();
  std::unique_ptr<Engine> engine_;
  platform::Cluster cluster_;
};

}  // namespace hasteward::engine::testing
