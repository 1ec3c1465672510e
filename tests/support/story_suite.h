// The fixture of a story suite (support/story_cluster.h): SetUpTestSuite starts the suite's one
// cluster and then runs `Suite::Seed()` (what every test of the story starts from; none by
// default); SetUp fails each test when the start failed.
//
//   class BinlogPitrTest : public StorySuite<BinlogPitrTest> {
//    public:
//     static SandboxCluster::Options Story() { return {.engine = EngineKind::kMariadb, ...}; }
//     static constexpr const char* kTempPrefix = "hs-binlog-pitr-";
//     static void Seed() { Sql(0, "CREATE DATABASE pit; ..."); }
//   };
#pragma once

#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "support/hasteward_env.h"
#include "support/sandbox_cluster.h"
#include "support/story_cluster.h"

namespace hasteward::testing {

// A MariaDB primary with `instances - 1` asynchronous replicas in namespace `ns`, named by the
// sandbox: the cluster of the binlog stories.
inline SandboxCluster::Options AsyncMariadbStory(int instances, const std::string& ns) {
  return {.engine = platform::EngineKind::kMariadb,
          .instances = instances,
          .replication_mode = "async",
          .name = "",
          .ns = ns};
}

// `Suite` declares `static SandboxCluster::Options Story()` and `static constexpr const char*
// kTempPrefix`, and may declare `static void Seed()`. One cluster per Suite.
template <typename Suite>
class StorySuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto story = StoryCluster::Start(Suite::Story(), Suite::kTempPrefix);
    // Not an assertion: gtest reports every test of a suite whose SetUpTestSuite failed as
    // "[  SKIPPED ]", and ctest counts that as skipped, not failed. SetUp fails each test instead.
    if (!story.ok()) {
      suite_error_ = story.status().ToString();
      return;
    }
    story_ = std::move(story).value().release();
    sc_ = &story_->sandbox();
    hs_ = &story_->env();
    Suite::Seed();
  }
  static void TearDownTestSuite() {
    delete story_;
    story_ = nullptr;
    sc_ = nullptr;
    hs_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(story_, nullptr) << "the suite's sandbox did not start: " << suite_error_;
    ASSERT_TRUE(suite_error_.empty()) << suite_error_;
  }

  static void Seed() {}
  // `sql` on instance `ordinal` (StoryCluster::Sql: "ERROR <status>" when it failed).
  static std::string Sql(int ordinal, const std::string& sql) { return story_->Sql(ordinal, sql); }

  inline static std::string suite_error_;
  inline static StoryCluster* story_ = nullptr;
  inline static SandboxCluster* sc_ = nullptr;
  inline static HastewardEnv* hs_ = nullptr;
};

}  // namespace hasteward::testing
