// The cluster of a story test (its tests continue one cluster in order, so the binary runs as one
// ctest test): one sandbox, a HastewardEnv on the sandbox's state dir and inventory, and a
// repository initialised beside it. Started once in SetUpTestSuite.
//
//   auto story = StoryCluster::Start({.engine = EngineKind::kMariadb, .ns = "bp"}, "hs-bp-");
//   if (!story.ok()) { suite_error_ = story.status().ToString(); return; }
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "support/hasteward_env.h"
#include "support/sandbox_cluster.h"

namespace hasteward::testing {

class StoryCluster {
 public:
  static core::Result<std::unique_ptr<StoryCluster>> Start(const SandboxCluster::Options& options,
                                                           const std::string& temp_prefix);
  StoryCluster(const StoryCluster&) = delete;
  StoryCluster& operator=(const StoryCluster&) = delete;
  ~StoryCluster();

  SandboxCluster& sandbox() { return *sandbox_; }
  HastewardEnv& env() { return *env_; }
  // `sql` on instance `ordinal`: its output without trailing newlines, or "ERROR <status>" (so a
  // failed statement shows in an EXPECT_EQ instead of aborting the story).
  std::string Sql(int ordinal, const std::string& sql) const;

 private:
  StoryCluster() = default;
  std::unique_ptr<SandboxCluster> sandbox_;
  std::unique_ptr<HastewardEnv> env_;
};

}  // namespace hasteward::testing
