// Watching a resource the way informers do: list, then watch from the list's resourceVersion;
// when a watch stream ends, resume from the last version seen (bookmarks included); when the
// server answers 410 Expired (the version was compacted away), list again and report the fresh
// state as a kSynced event, so no change is silently missed.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "platform/kubernetes/kube_client.h"

namespace hasteward::platform::kubernetes {

enum class WatchEventType {
  kSynced,  // a (re)list: `object` is the list, `object["items"]` the current objects
  kAdded,
  kModified,
  kDeleted,
};

struct WatchEvent {
  WatchEventType type = WatchEventType::kSynced;
  nlohmann::json object;
};

class ResourceWatch {
 public:
  ResourceWatch(const KubeClient& client, KubeResource res, std::string ns, ListOptions options,
                std::chrono::seconds stream_timeout = std::chrono::seconds(300));
  ~ResourceWatch();
  ResourceWatch(const ResourceWatch&) = delete;
  ResourceWatch& operator=(const ResourceWatch&) = delete;

  // The next change: the first call (and every call after a 410) returns kSynced. Blocks until an
  // event arrives; transport failures are returned (the caller decides when to retry, and the
  // next call resumes from the last version).
  core::Result<WatchEvent> Next();
  // Unblocks a Next() running on another thread; it returns kInterrupted.
  void Stop();
  const std::string& resource_version() const { return resource_version_; }
  int relists() const { return relists_; }

 private:
  core::Result<WatchEvent> Relist();
  core::Status OpenStream();
  // One event line of the current stream, or nullopt when the stream ended.
  core::Result<std::optional<nlohmann::json>> ReadEventLine();

  const KubeClient& client_;
  KubeResource res_;
  std::string ns_;
  ListOptions options_;
  std::chrono::seconds stream_timeout_;
  std::string resource_version_;
  bool need_list_ = true;
  int relists_ = 0;
  std::unique_ptr<NetStream> stream_;
  std::unique_ptr<BufferedReader> reader_;
  std::string pending_;  // bytes of an event line split across chunks
  std::atomic<bool> stopped_{false};
};

}  // namespace hasteward::platform::kubernetes
