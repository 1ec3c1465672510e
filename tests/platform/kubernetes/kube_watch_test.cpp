// ResourceWatch against a real kube-apiserver and etcd (issue 50), watching the pinned
// CloudNativePG release's own Cluster CRD as the operator does. What the fake API server did on a
// timer or on request, the real server does its own way, and the tests bring it about as it
// happens on a cluster:
//   - BOOKMARKs come from the server's watch cache only when a watch asks (allowWatchBookmarks),
//     2 s before the watch's timeoutSeconds and about once a minute, carrying the last revision the
//     cache has seen; the cache hears of other resources' writes only through etcd's progress
//     notifications (etcd's default: every 10 min; kubeadm configures 5 s). The server here has
//     them every second and the watches that need a bookmark last 5 s.
//   - 410 Expired: etcd compacted away the version a watch resumes from. The watch cache would
//     serve that watch from memory and hide a compaction (it answers 410 only for a version older
//     than its own window, "too old resource version"), so the compaction test runs its server
//     with --watch-cache=false and its watch reaches etcd.
#include "platform/kubernetes/kube_watch.h"

#include <thread>

#include <gtest/gtest.h>

#include "core/poll_until.h"
#include "support/real_kube_admin_test.h"

namespace hasteward::platform::kubernetes {
namespace {

using nlohmann::json;

class KubeWatchTest : public testing::RealKubeAdminTest {
 protected:
  // `apiserver_flags` are added to the server's own.
  void Start(std::vector<std::string> apiserver_flags = {}) {
    ASSERT_NO_FATAL_FAILURE(StartApiWith(
        {{"--watch-progress-notify-interval=1s"}, std::move(apiserver_flags)}, {"db"}));
    ASSERT_NO_FATAL_FAILURE(ServeCnpgClusters());
    // A CRD just Established answers 429 "storage is (re)initializing" for a while.
    ASSERT_TRUE(core::PollUntil([&] { return client_->List(resources::kCnpgClusters, "db").ok(); },
                                std::chrono::seconds(60), std::chrono::milliseconds(200)));
  }
  void CreateCluster(const std::string& name) {
    auto created = client_->Create(resources::kCnpgClusters, "db",
                                   {{"apiVersion", "postgresql.cnpg.io/v1"},
                                    {"kind", "Cluster"},
                                    {"metadata", {{"name", name}}},
                                    {"spec", {{"instances", 1}}}});
    ASSERT_TRUE(created.ok()) << created.status().ToString();
  }
  // The resourceVersion each watch request of Clusters in "db" started from, in order (the
  // server's audit log).
  std::vector<std::string> WatchesStartedFrom() const {
    std::vector<std::string> versions;
    for (const json& event : api_->AuditEvents()) {
      const std::string uri = event.value("requestURI", "");
      if (event.value("verb", "") != "watch" || event.value("stage", "") != "ResponseStarted" ||
          !uri.starts_with("/apis/postgresql.cnpg.io/v1/namespaces/db/clusters?")) {
        continue;
      }
      const size_t at = uri.find("resourceVersion=");
      versions.push_back(
          at == std::string::npos ? "" : uri.substr(at + 16, uri.find('&', at) - at - 16));
    }
    return versions;
  }
};

TEST_F(KubeWatchTest, ListsThenStreamsChanges) {
  ASSERT_NO_FATAL_FAILURE(Start());
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
  ASSERT_NO_FATAL_FAILURE(Start());
  ResourceWatch watch(*client_, resources::kCnpgClusters, "db", {}, std::chrono::seconds(1));
  ASSERT_TRUE(watch.Next().ok());
  std::thread later([this] {
    // After the server ended the 1 s stream and the watch opened the next one.
    EXPECT_TRUE(core::PollUntil([&] { return WatchesStartedFrom().size() >= 2; },
                                std::chrono::seconds(30), std::chrono::milliseconds(100)));
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
  ASSERT_NO_FATAL_FAILURE(Start({"--watch-cache=false"}));
  ResourceWatch watch(*client_, resources::kCnpgClusters, "db", {});
  ASSERT_TRUE(watch.Next().ok());  // listed; the watch stream opens on the next call
  CreateCluster("during-gap");
  auto compacted = api_->CompactEtcd();  // the listed version is gone: 410 Expired
  ASSERT_TRUE(compacted.ok()) << compacted.status().ToString();
  auto event = watch.Next();
  ASSERT_TRUE(event.ok()) << event.status().ToString();
  EXPECT_EQ(event->type, WatchEventType::kSynced) << "a compacted gap is reported as a relist";
  ASSERT_EQ(event->object["items"].size(), 1u);
  EXPECT_EQ(event->object["items"][0]["metadata"]["name"], "during-gap");
  EXPECT_EQ(watch.relists(), 2);
}

TEST_F(KubeWatchTest, BookmarksAdvanceTheResumeVersion) {
  ASSERT_NO_FATAL_FAILURE(Start());
  ResourceWatch watch(*client_, resources::kCnpgClusters, "db", {}, std::chrono::seconds(5));
  ASSERT_TRUE(watch.Next().ok());
  const std::string listed = watch.resource_version();
  auto elsewhere = client_->Create(resources::kSecrets, "db", {{"metadata", {{"name", "x"}}}});
  ASSERT_TRUE(elsewhere.ok());  // moves the global version; no cluster event
  const uint64_t secret_version =
      std::stoull((*elsewhere)["metadata"].value("resourceVersion", ""));
  std::thread later([this] {
    // After the 5 s stream ended (a bookmark 2 s before) and the watch resumed.
    EXPECT_TRUE(core::PollUntil([&] { return WatchesStartedFrom().size() >= 2; },
                                std::chrono::seconds(30), std::chrono::milliseconds(100)));
    CreateCluster("late");
  });
  auto event = watch.Next();
  later.join();
  ASSERT_TRUE(event.ok()) << event.status().ToString();
  EXPECT_EQ(event->object["metadata"]["name"], "late");
  const std::vector<std::string> started = WatchesStartedFrom();
  ASSERT_GE(started.size(), 2u);
  EXPECT_EQ(started[0], listed);
  EXPECT_LT(std::stoull(listed), secret_version);
  EXPECT_GE(std::stoull(started[1]), secret_version)
      << "the resumed watch starts from the bookmark's version, at or past a write it had no "
         "event for";
}

}  // namespace
}  // namespace hasteward::platform::kubernetes
