// A client for the Kubernetes API over HTTPS: typed helpers for get/list/create/replace/patch/
// delete of the resources HASteward uses, and the raw request the watch, exec and lease code
// build on. Each request opens its own connection (requests are few: discovery, leases every 2 s,
// status writes); bodies are JSON.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "platform/kubernetes/kube_config.h"
#include "platform/kubernetes/net_stream.h"

namespace hasteward::platform::kubernetes {

// One API resource, e.g. {"apps", "v1", "statefulsets"}.
struct KubeResource {
  std::string group;  // "" for the core group
  std::string version;
  std::string plural;
  bool namespaced = true;
};

// The resources HASteward reads and writes (pinned in kube_resources_test.cpp).
namespace resources {
extern const KubeResource kPods;
extern const KubeResource kSecrets;
extern const KubeResource kEvents;
extern const KubeResource kPersistentVolumeClaims;
extern const KubeResource kStatefulSets;
extern const KubeResource kLeases;
extern const KubeResource kCnpgClusters;
extern const KubeResource kMariaDbs;
// HASteward's own cluster-scoped resources (deploy/crds).
extern const KubeResource kBackupPolicies;
extern const KubeResource kBackupRepositories;
extern const KubeResource kStandbyClusters;
}  // namespace resources

// The path of a resource collection or object ("/apis/apps/v1/namespaces/ns/statefulsets/x").
std::string ResourcePath(const KubeResource& res, const std::string& ns,
                         const std::string& name = "", const std::string& subresource = "");
// Percent-encodes a query parameter value.
std::string QueryEscape(const std::string& value);

enum class PatchType { kMerge, kJson };

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
};

// An HTTP answer: status code and body (JSON for the API, a metav1.Status on errors).
struct KubeResponse {
  int code = 0;
  std::string body;
};

// Turns a non-2xx answer into an error: 404 kNotFound, 401/403 kAuthFailed (with the RBAC
// hint), 409 kAlreadyExists (AlreadyExists or a stale resourceVersion: reload and retry), 5xx
// retryable kUnreachable.
core::Status ApiError(const KubeResponse& response, const std::string& what);
// Whether an answer is a 409 Conflict on a stale resourceVersion.
bool IsConflict(const KubeResponse& response);

class KubeClient {
 public:
  explicit KubeClient(KubeConfig config) : config_(std::move(config)) {}

  const KubeConfig& config() const { return config_; }
  // Bounds every later request (connection, handshake, request and answer) to `timeout` from its
  // start; past it the request fails (kUnreachable, retryable). For clients of short requests:
  // a watch or an exec through this client ends at the bound too.
  void SetRequestTimeout(std::chrono::milliseconds timeout) { request_timeout_ = timeout; }

  // Opens an authenticated connection to the API server.
  core::Result<std::unique_ptr<NetStream>> Connect() const;
  // What a request accepts: JSON (every API call), or no Accept header at all: an exec or
  // port-forward upgrade, which the API server hands to the kubelet, whose streaming routes
  // declare no representation and answer "406 Not Acceptable" to `Accept: application/json`
  // (found on a real kubelet, issue 51; the test kubelets did not check).
  enum class Accepts { kJson, kStream };
  // "GET /path HTTP/1.1\r\nHost: ...\r\nAuthorization: ...\r\n" (without the blank line).
  core::Result<std::string> RequestHead(const std::string& method, const std::string& target,
                                        Accepts accepts = Accepts::kJson) const;
  // Sends a request and reads the whole answer.
  core::Result<KubeResponse> Request(const std::string& method, const std::string& target,
                                     const std::string& body = "",
                                     const std::string& content_type = "application/json") const;

  core::Result<nlohmann::json> Get(const KubeResource& res, const std::string& ns,
                                   const std::string& name) const;
  core::Result<nlohmann::json> List(const KubeResource& res, const std::string& ns,
                                    const ListOptions& options = {}) const;
  core::Result<nlohmann::json> Create(const KubeResource& res, const std::string& ns,
                                      const nlohmann::json& object) const;
  // PUT with the object's metadata.resourceVersion: kAlreadyExists when it is stale.
  core::Result<nlohmann::json> Replace(const KubeResource& res, const std::string& ns,
                                       const nlohmann::json& object) const;
  core::Result<nlohmann::json> Patch(const KubeResource& res, const std::string& ns,
                                     const std::string& name, PatchType type,
                                     const nlohmann::json& patch,
                                     const std::string& subresource = "") const;
  // A missing object is not an error (deleted is deleted).
  core::Status Delete(const KubeResource& res, const std::string& ns,
                      const std::string& name) const;

 private:
  core::Result<nlohmann::json> JsonCall(const std::string& method, const std::string& target,
                                        const std::string& body, const std::string& content_type,
                                        const std::string& what) const;
  KubeConfig config_;
  std::chrono::milliseconds request_timeout_{0};  // 0: unbounded
};

// Reads an HTTP answer's head: status code and lowercased headers.
struct HttpAnswerHead {
  int code = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string Get(const std::string& lowercase_name) const;
};
core::Result<HttpAnswerHead> ReadAnswerHead(BufferedReader& reader);

}  // namespace hasteward::platform::kubernetes
