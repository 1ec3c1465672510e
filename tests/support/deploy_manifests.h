// The deploy/ manifests as tests see them: rendered by the real `kubectl kustomize deploy/` (tests
// against the real API server apply them with `kubectl apply -k`, RealKubeApi::ApplyDeploy).
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

}  // namespace hasteward::testing
