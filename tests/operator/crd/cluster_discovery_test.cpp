#include "operator/crd/cluster_discovery.h"

#include <gtest/gtest.h>

#include "operator/crd/cluster_annotations.h"

namespace hasteward::op {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace cluster_discovery_test {
namespace {

ServeConfig Config(bool annotations) {
  auto config = ParseServeConfig(
      std::string("repositories: [{name: r, repository: /tmp/r, passwordFile: /tmp/p}]\n"
                  "policies: [{name: default, backupSchedule: '0 2 * * *', repositories: [r]}]\n"
                  "clusters:\n"
                  "  - {namespace: db, name: listed, backupSchedule: '0 5 * * *'}\n"
                  "  - {namespace: db, name: off, exclude: true}\n"
                  "discovery: {annotations: ") +
          (annotations ? "true" : "false") + "}\n",
      "test");
  EXPECT_TRUE(config.ok()) << config.status().ToString();
  return *config;
}

platform::Cluster PlatformCluster(const std::string& name, platform::EngineKind engine,
                                  std::map<std::string, std::string> annotations = {}) {
  platform::Cluster c;
  c.ns = "db";
  c.name = name;
  c.engine = engine;
  c.annotations = std::move(annotations);
  return c;
}

std::vector<std::string> Keys(const ManagedSet& set) {
  std::vector<std::string> keys;
  for (const auto& c : set.clusters)
    keys.push_back(c.Key() + "@" + c.backup_schedule);
  return keys;
}

TEST(ClusterDiscoveryTest, AnnotatedClustersJoinTheConfiguredOnesAndTheConfigWins) {
  ServeConfig config = Config(true);
  auto configured = ResolveClusters(config);
  ASSERT_TRUE(configured.ok());
  std::vector<platform::Cluster> listed = {
      PlatformCluster("listed", platform::EngineKind::kPostgres,
                      {{kPolicyAnnotation, "default"}, {kBackupScheduleAnnotation, "0 1 * * *"}}),
      PlatformCluster("off", platform::EngineKind::kMariadb, {{kPolicyAnnotation, "default"}}),
      PlatformCluster("opted", platform::EngineKind::kGalera, {{kPolicyAnnotation, "default"}}),
      PlatformCluster("plain", platform::EngineKind::kPostgres),
      PlatformCluster("broken", platform::EngineKind::kPostgres, {{kPolicyAnnotation, "nope"}}),
  };
  ManagedSet set = MergeManaged(config, *configured, listed);
  // The config's own schedule for db/listed, not its annotation's; db/off stays excluded.
  EXPECT_EQ(Keys(set), (std::vector<std::string>{"db/listed@0 5 * * *", "db/opted@0 2 * * *"}));
  EXPECT_EQ(set.engines.at("db/listed"), "cnpg");
  EXPECT_EQ(set.engines.at("db/opted"), "galera");
  ASSERT_EQ(set.problems.count("db/broken"), 1U);
  EXPECT_NE(set.problems.at("db/broken").find("unknown policy 'nope'"), std::string::npos);
}

TEST(ClusterDiscoveryTest, WithoutAnnotationDiscoveryOnlyTheConfigCounts) {
  ServeConfig config = Config(false);
  auto configured = ResolveClusters(config);
  ASSERT_TRUE(configured.ok());
  ManagedSet set = MergeManaged(
      config, *configured,
      {PlatformCluster("opted", platform::EngineKind::kGalera, {{kPolicyAnnotation, "default"}})});
  EXPECT_EQ(Keys(set), (std::vector<std::string>{"db/listed@0 5 * * *"}));
  EXPECT_TRUE(set.engines.empty()) << "db/listed is not on the platform";
}

// A platform whose cluster list the test edits, with a change feed the test triggers.
class EditablePlatform : public platform::Platform {
 public:
  struct Shared {
    std::vector<platform::Cluster> clusters;
    bool fail_list = false;
    std::atomic<bool> changed{false};
  };
  explicit EditablePlatform(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}
  std::string name() const override { return "editable"; }
  core::Result<std::vector<platform::Cluster>> ListClusters() override {
    if (shared_->fail_list)
      return core::Status(core::ErrorCode::kUnreachable, "api away");
    return shared_->clusters;
  }
  core::Result<platform::Cluster> FindCluster(const std::string& ns,
                                              const std::string& name) override {
    for (const auto& c : shared_->clusters) {
      if (c.ns == ns && c.name == name)
        return c;
    }
    return core::NotFound("no " + ns + "/" + name);
  }
  core::Result<std::unique_ptr<platform::InstanceHandle>> OpenInstance(
      const platform::Cluster& /*c*/, const platform::Instance& /*i*/) override {
    return core::Internal("not used");
  }
  core::Result<std::unique_ptr<platform::ClusterChangeFeed>> WatchClusters() override {
    class Feed : public platform::ClusterChangeFeed {
     public:
      explicit Feed(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}
      bool TakeChange() override { return shared_->changed.exchange(false); }

     private:
      std::shared_ptr<Shared> shared_;
    };
    return std::unique_ptr<platform::ClusterChangeFeed>(std::make_unique<Feed>(shared_));
  }

 private:
  std::shared_ptr<Shared> shared_;
};

TEST(ClusterDiscoveryTest, AChangeReportedByTheFeedIsPickedUpBeforeTheResync) {
  ServeConfig config = Config(true);
  config.clusters.clear();
  config.discovery.resync = std::chrono::hours(1);
  auto shared = std::make_shared<EditablePlatform::Shared>();
  shared->clusters = {PlatformCluster("pg", platform::EngineKind::kPostgres)};
  ClusterDiscovery discovery(config, {}, [shared] {
    return core::Result<std::unique_ptr<platform::Platform>>(
        std::make_unique<EditablePlatform>(shared));
  });
  auto now = std::chrono::steady_clock::now();
  EXPECT_TRUE(discovery.Start(now).clusters.empty());

  shared->clusters[0].annotations[kPolicyAnnotation] = "default";
  EXPECT_FALSE(discovery.Poll(now + std::chrono::seconds(1)))
      << "no change reported and no resync due: not listed again";
  shared->changed = true;
  auto added = discovery.Poll(now + std::chrono::seconds(2));
  ASSERT_TRUE(added);
  EXPECT_EQ(Keys(*added), (std::vector<std::string>{"db/pg@0 2 * * *"}));

  // The API goes away: the managed set is kept, not emptied.
  shared->fail_list = true;
  shared->changed = true;
  EXPECT_FALSE(discovery.Poll(now + std::chrono::seconds(3)));
  shared->fail_list = false;

  shared->clusters[0].annotations.clear();
  shared->changed = true;
  auto removed = discovery.Poll(now + std::chrono::seconds(4));
  ASSERT_TRUE(removed);
  EXPECT_TRUE(removed->clusters.empty());
}

TEST(ClusterDiscoveryTest, WithoutAReportedChangeTheResyncFindsIt) {
  ServeConfig config = Config(true);
  config.clusters.clear();
  config.discovery.resync = std::chrono::seconds(30);
  auto shared = std::make_shared<EditablePlatform::Shared>();
  shared->clusters = {PlatformCluster("pg", platform::EngineKind::kPostgres)};
  ClusterDiscovery discovery(config, {}, [shared] {
    return core::Result<std::unique_ptr<platform::Platform>>(
        std::make_unique<EditablePlatform>(shared));
  });
  auto now = std::chrono::steady_clock::now();
  discovery.Start(now);
  shared->clusters[0].annotations[kPolicyAnnotation] = "default";
  EXPECT_FALSE(discovery.Poll(now + std::chrono::seconds(29)));
  EXPECT_TRUE(discovery.Poll(now + std::chrono::seconds(30)));
}

}  // namespace
}  // namespace cluster_discovery_test
}  // namespace hasteward::op
