// Events on the database CRs: a core/v1 Event whose involvedObject is the CloudNativePG Cluster or
// the MariaDB that discovery found the cluster through, so `kubectl describe` shows HASteward's
// jobs beside the operator's own events.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "platform/cluster.h"
#include "platform/cluster_event.h"

namespace hasteward::platform::kubernetes {

// Cluster option holding the CR's metadata.uid (set by discovery), so the Event names exactly that
// object and not a later one of the same name.
inline constexpr char kUidOption[] = "kubernetes.uid";

// The Event object to create in the cluster's namespace. `reporting_instance`: the operator pod
// ($POD_NAME), may be empty. kUsage when the cluster was not found through a CR (no operator
// option): there is nothing to attach the Event to.
core::Result<nlohmann::json> EventObject(const Cluster& cluster, const ClusterEvent& event,
                                         const std::string& reporting_instance,
                                         int64_t unix_seconds);

}  // namespace hasteward::platform::kubernetes
