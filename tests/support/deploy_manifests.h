// The deploy/ manifests as tests see them: rendered by the real `kubectl kustomize deploy/`, so
// FakeKubeApi enforces exactly the RBAC a cluster would get from `kubectl apply -k deploy/`.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace hasteward::testing {

// Who the operator is in deploy/ (its ServiceAccount and namespace) and its leader Lease.
inline constexpr char kDeployNamespace[] = "hasteward";
inline constexpr char kDeployServiceAccount[] = "hasteward";
inline constexpr char kDeployLeaseName[] = "hasteward-leader";

// `kubectl kustomize <checkout>/deploy` (multi-document YAML). kInternal when kubectl fails.
core::Result<std::string> RenderDeployManifests();

// Writes the rendered deploy/ manifests plus, for each namespace in `secret_namespaces`, the
// RoleBinding of deploy/examples/secret-reader-rolebinding.yaml (secrets get in that namespace, as
// an admin adds per database namespace) to `path`, for FakeKubeApiOptions::rbac_file. Returns path.
core::Result<std::string> WriteDeployRbacFile(const std::string& path,
                                              const std::vector<std::string>& secret_namespaces);

}  // namespace hasteward::testing
