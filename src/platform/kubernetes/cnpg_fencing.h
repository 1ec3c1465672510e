// CloudNativePG fencing, the one way to keep a CNPG instance's PostgreSQL down: the
// cnpg.io/fencedInstances annotation on the Cluster, a JSON list of pod names or ["*"] (what
// `kubectl cnpg fencing on` writes). The instance manager of a fenced pod stops PostgreSQL and
// keeps it down while the pod keeps running (exec still reaches the data directory; the readiness
// probe fails); removing the name lets it start PostgreSQL again. A plain stop would not last:
// the instance manager restarts a PostgreSQL that exits.
#pragma once

#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "platform/kubernetes/kube_client.h"

namespace hasteward::platform::kubernetes {

inline constexpr char kCnpgFencingAnnotation[] = "cnpg.io/fencedInstances";
inline constexpr char kCnpgFenceAll[] = "*";

// The pod names the Cluster object fences ("*" kept as is); empty without the annotation. kUsage
// when the annotation is not a JSON list of strings.
core::Result<std::set<std::string>> FencedInstances(const nlohmann::json& cluster_cr);

// Whether `fenced` (from FencedInstances) covers `pod`: its name or "*".
bool CoversPod(const std::set<std::string>& fenced, const std::string& pod);

// Adds (`fenced`) or removes `pod` in the annotation of Cluster `ns/cluster`: read, change, merge
// patch carrying the read resourceVersion, retried on a conflict with another writer. Removing a
// pod fenced only through "*" is kUsage (someone fenced the whole cluster; lifting that is theirs).
core::Status SetFenced(const KubeClient& client, const std::string& ns, const std::string& cluster,
                       const std::string& pod, bool fenced);

}  // namespace hasteward::platform::kubernetes
