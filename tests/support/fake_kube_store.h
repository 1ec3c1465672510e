// The object store of FakeKubeApi: Kubernetes objects with the API server's semantics that our
// client and the real clients rely on — one global resourceVersion counter, 409 Conflict on a
// stale resourceVersion, 404/409 Status objects, merge and JSON patches, label and field
// selectors, and a watch history that can be compacted (so a resume from an old resourceVersion
// gets 410 Expired). Thread-safe; watchers block on a condition variable.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hasteward::testing {

// One API resource the fake serves, e.g. {"apps", "v1", "statefulsets", "StatefulSet", true}.
struct FakeKubeResource {
  std::string group;  // "" for the core group
  std::string version;
  std::string plural;
  std::string kind;
  bool namespaced = true;
  bool status_subresource = true;  // the main endpoint ignores .status, /status writes only it
  std::string ApiVersion() const { return group.empty() ? version : group + "/" + version; }
};

// The resources of the Kubernetes API that HASteward uses, plus the CloudNativePG and
// mariadb-operator custom resources and HASteward's BackupPolicy and BackupRepository.
std::vector<FakeKubeResource> DefaultFakeKubeResources();

// An HTTP status and its JSON body (the object, a list, or a metav1.Status for errors).
struct FakeKubeReply {
  int code = 200;
  nlohmann::json body;
};

// metav1.Status for an error: {"kind":"Status","status":"Failure","reason":...,"code":...}.
FakeKubeReply StatusReply(int code, const std::string& reason, const std::string& message);

enum class FakePatchType { kMerge, kJson, kStrategicMerge };

struct FakeWatchEvent {
  std::string type;  // ADDED, MODIFIED, DELETED, BOOKMARK, ERROR
  nlohmann::json object;
};

// Selectors of list and watch calls ("app=pg,role!=replica,tier in (a,b),!gone").
struct FakeSelectors {
  std::string label;
  std::string field;  // metadata.name=..., metadata.namespace=...
  bool Matches(const nlohmann::json& object) const;
};

class FakeKubeStore {
 public:
  FakeKubeStore();

  FakeKubeReply Get(const FakeKubeResource& res, const std::string& ns, const std::string& name);
  FakeKubeReply List(const FakeKubeResource& res, const std::string& ns,
                     const FakeSelectors& selectors);
  FakeKubeReply Create(const FakeKubeResource& res, const std::string& ns, nlohmann::json object);
  FakeKubeReply Update(const FakeKubeResource& res, const std::string& ns, const std::string& name,
                       nlohmann::json object, bool status_only);
  FakeKubeReply Patch(const FakeKubeResource& res, const std::string& ns, const std::string& name,
                      FakePatchType type, const nlohmann::json& patch, bool status_only);
  // `options` is a DeleteOptions body (preconditions.resourceVersion/uid honoured) or null.
  FakeKubeReply Delete(const FakeKubeResource& res, const std::string& ns, const std::string& name,
                       const nlohmann::json& options);

  // Streams events of `res` in `ns` ("" = all namespaces) to `emit` until it returns false,
  // `deadline` passes or `stopped` returns true. `from_version` "" or "0" starts with ADDED events
  // for the current objects; a version older than the compaction point emits one ERROR event
  // (410 Expired) and returns. With `bookmarks`, a BOOKMARK carries the current version every
  // `bookmark_every`.
  struct WatchOptions {
    std::string from_version;
    FakeSelectors selectors;
    bool bookmarks = false;
    std::chrono::milliseconds bookmark_every{1000};
    std::chrono::steady_clock::time_point deadline;
  };
  void Watch(const FakeKubeResource& res, const std::string& ns, const WatchOptions& options,
             const std::function<bool(const FakeWatchEvent&)>& emit,
             const std::function<bool()>& stopped);

  // Forgets the event history up to now: a watch resuming from an older version gets 410.
  void Compact();
  uint64_t resource_version() const;
  // Wakes every watcher (server shutdown).
  void WakeAll();

 private:
  struct Stored {
    std::string resource_key;  // group/plural
    std::string ns;
    FakeWatchEvent event;
    uint64_t version = 0;
  };
  static std::string Key(const FakeKubeResource& res, const std::string& ns,
                         const std::string& name);
  FakeKubeReply Commit(const FakeKubeResource& res, const std::string& ns, nlohmann::json object,
                       const std::string& event_type);  // needs mu_
  FakeKubeReply Replace(const FakeKubeResource& res, const std::string& ns, const std::string& name,
                        nlohmann::json object, bool status_only);

  mutable std::mutex mu_;
  std::condition_variable changed_;
  uint64_t version_ = 1000;
  uint64_t compacted_ = 0;
  uint64_t uid_counter_ = 0;
  std::map<std::string, nlohmann::json> objects_;
  std::deque<Stored> history_;
};

}  // namespace hasteward::testing
