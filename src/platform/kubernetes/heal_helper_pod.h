// A short-lived pod that mounts the data volume of a StatefulSet pod that was scaled away, so that
// commands can still run on that pod's data directory while its server is down (the Galera heal
// keeps and resets grastate.dat there). mariadb-operator's mariadbd is its container's main
// process: the only way to stop it is to remove the pod, and then its volume (ReadWriteOnce) can
// be mounted by another pod. The helper is built from the StatefulSet's own pod template (same
// image, same security context, so files keep the server's owner) and mounts the pod's claim
// (<volumeClaimTemplate>-<pod>) where the server mounts it. It carries none of the cluster's pod
// labels, so discovery never mistakes it for an instance.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "platform/kubernetes/kube_client.h"

namespace hasteward::platform::kubernetes {

// The helper's container name (exec targets it).
inline constexpr char kHealHelperContainer[] = "heal";
// Label naming the pod a helper serves (and marking the pod as HASteward's).
inline constexpr char kHealHelperLabel[] = "clinic.hasteward.prplanit.com/heal-of";

// "<pod>-hasteward-heal".
std::string HealHelperName(const std::string& pod);

// The helper pod for `pod` of `statefulset` (the apps/v1 object): the container named
// `container` of its template (else the first) gives image and security context, and the volume
// claim template mounted at `data_dir` in it gives the claim and the mount. kUsage when no claim
// template is mounted there (the data directory is not on a per-pod volume).
core::Result<nlohmann::json> HealHelperManifest(const nlohmann::json& statefulset,
                                                const std::string& pod,
                                                const std::string& container,
                                                const std::string& data_dir);

// Creates the helper for `pod` unless it exists and waits (within `timeout`) until it runs.
// Returns its name. kTimeout naming the pod and what to check when it does not run in time (a
// claim still attached elsewhere keeps it Pending); the pod is left for its events to be read.
core::Result<std::string> EnsureHealHelper(const KubeClient& client, const std::string& ns,
                                           const nlohmann::json& manifest,
                                           std::chrono::milliseconds timeout);

// Deletes the helper for `pod` (none is fine) and waits within `timeout` until it is gone, so the
// pod's own server can mount its volume again.
core::Status RemoveHealHelper(const KubeClient& client, const std::string& ns,
                              const std::string& pod, std::chrono::milliseconds timeout);

// Polls `probe` every 200 ms until it holds; kTimeout "<what> after N ms" with `hint` after
// `timeout`. Shared by the helper and the StatefulSet scaling waits.
core::Status WaitForKube(const std::string& what, std::chrono::milliseconds timeout,
                         const std::string& hint, const std::function<core::Result<bool>()>& probe);

}  // namespace hasteward::platform::kubernetes
