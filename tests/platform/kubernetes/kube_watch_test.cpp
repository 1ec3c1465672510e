#include "platform/kubernetes/kube_watch.h"

#include <gtest/gtest.h>

#include "support/fake_kube_admin_test.h"

namespace hasteward::platform::kubernetes {
namespace {

using nlohmann::json;
class KubeWatchTest : public testing::FakeKubeAdminTest {
 protected:
  void SetUp() override {
    testing::FakeKubeApiOptions options;
    options.bookmark_every = std::chrono::milliseconds(100);
    ASSERT_NO_FATAL_FAILURE(StartApi(options));
  }
  void CreateCluster(const std::string& name) {
    ASSERT_TRUE(client_
                    ->Create(resources::kCnpgClusters, "db",
                             {{"apiVersion", "postgresql.cnpg.io/v1"},
                              {"kind", "Cluster"},
                              {"metadata", {{"name", name}}}})
                    .ok());
  }
};

TEST_F(KubeWatchTest, ListsThenStreamsChanges) {
  CreateCluster("a");
  ResourceWatch watch(*client_, resources::kCnpgClusters, "db", {});
  auto synced = watch.Next();
  ASSERT_TRUE(synced.ok()) << synced.status().ToString();
  EXPECT_EQ(synced->type, WatchEventType::kSynced);
  ASSERT_EQ(synced->object["items"].size(), 1u);
  CreateCluster("b");
  ASSERT_TRUE(client_
                  ->Patch(resources::kCnpgClusters, "db", "a", PatchType::kMerge,
                          {{"metadata", {{"annotations", {{"p", "1"}}}}}})
                  .ok());
  ASSERT_TRUE(client_->Delete(resources::kCnpgClusters, "db", "b").ok());
  std::vector<std::pair<WatchEventType, std::string>> seen;
  for (int index = 0; index < 3; ++index) {
    auto event = watch.Next();
    ASSERT_TRUE(event.ok()) << event.status().ToString();
    seen.emplace_back(event->type, event->object["metadata"]["name"]);
  }
  EXPECT_EQ(seen,
            (std::vector<std::pair<WatchEventType, std::string>>{{WatchEventType::kAdded, "b"},
                                                                 {WatchEventType::kModified, "a"},
                                                                 {WatchEventType::kDeleted, "b"}}));
}

TEST_F(KubeWatchTest, ResumesAfterTheServerEndsTheStream) {
  ResourceWatch watch(*client_, resources::kCnpgClusters, "db", {}, std::chrono::seconds(1));
  ASSERT_TRUE(watch.Next().ok());
  std::thread later([this] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // after the 1 s stream ended
    CreateCluster("late");
  });
  auto event = watch.Next();
  later.join();
  ASSERT_TRUE(event.ok()) << event.status().ToString();
  EXPECT_EQ(event->type, WatchEventType::kAdded);
  EXPECT_EQ(event->object["metadata"]["name"], "late");
  EXPECT_EQ(watch.relists(), 1) << "a plain stream end resumes without relisting";
}

TEST_F(KubeWatchTest, RelistsAfter410Expired) {
  ResourceWatch watch(*client_, resources::kCnpgClusters, "db", {});
  ASSERT_TRUE(watch.Next().ok());  // listed; the watch stream opens on the next call
  CreateCluster("during-gap");
  api_->store().Compact();  // the listed version is gone: the server answers 410 Expired
  auto event = watch.Next();
  ASSERT_TRUE(event.ok()) << event.status().ToString();
  EXPECT_EQ(event->type, WatchEventType::kSynced) << "a compacted gap is reported as a relist";
  ASSERT_EQ(event->object["items"].size(), 1u);
  EXPECT_EQ(event->object["items"][0]["metadata"]["name"], "during-gap");
  EXPECT_EQ(watch.relists(), 2);
}

TEST_F(KubeWatchTest, BookmarksAdvanceTheResumeVersion) {
  ResourceWatch watch(*client_, resources::kCnpgClusters, "db", {}, std::chrono::seconds(1));
  ASSERT_TRUE(watch.Next().ok());
  ASSERT_TRUE(client_->Create(resources::kSecrets, "db", {{"metadata", {{"name", "elsewhere"}}}})
                  .ok());  // moves the global version; no cluster event
  const std::string listed = watch.resource_version();
  std::thread later([this] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    CreateCluster("late");
  });
  auto event = watch.Next();
  later.join();
  ASSERT_TRUE(event.ok());
  EXPECT_GT(std::stoull(watch.resource_version()), std::stoull(listed));
}

}  // namespace
}  // namespace hasteward::platform::kubernetes
