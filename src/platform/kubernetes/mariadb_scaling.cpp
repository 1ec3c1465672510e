#include "platform/kubernetes/mariadb_scaling.h"

#include "core/log.h"
#include "platform/kubernetes/heal_helper_pod.h"

namespace hasteward::platform::kubernetes {
namespace {

using nlohmann::json;

constexpr char kKubectlHint[] = "check the StatefulSet's events (kubectl describe statefulset)";

std::string HeldForIn(const json& mariadb) {
  const auto mark = json::json_pointer("/metadata/annotations") / kHeldForAnnotation;
  return mariadb.contains(mark) && mariadb.at(mark).is_string()
             ? mariadb.at(mark).get<std::string>()
             : std::string();
}

}  // namespace

std::optional<int> PodOrdinal(const std::string& pod) {
  const size_t dash = pod.rfind('-');
  if (dash == std::string::npos || dash + 1 == pod.size() ||
      pod.find_first_not_of("0123456789", dash + 1) != std::string::npos || pod.size() - dash > 9) {
    return std::nullopt;
  }
  return std::stoi(pod.substr(dash + 1));
}

core::Result<int> MariaDbPodScaling::Ordinal() const {
  auto ordinal = PodOrdinal(pod_);
  if (!ordinal) {
    return core::Usage(what() + " has no StatefulSet ordinal in its name",
                       "mariadb-operator names its pods <mariadb>-<ordinal>");
  }
  return *ordinal;
}

core::Result<bool> MariaDbPodScaling::ScaledAway() const {
  HS_ASSIGN_OR_RETURN(int ordinal, Ordinal());
  HS_ASSIGN_OR_RETURN(json set, client_.Get(resources::kStatefulSets, ns_, mariadb_));
  return set.value("/spec/replicas"_json_pointer, 1) <= ordinal;
}

core::Status MariaDbPodScaling::Suspend() const {
  HS_ASSIGN_OR_RETURN(json cr, client_.Get(resources::kMariaDbs, ns_, mariadb_));
  if (cr.value("/spec/suspend"_json_pointer, false)) {
    return core::Status::Ok();  // suspended already (by an admin, or by an earlier run)
  }
  // The annotation and the field in one patch: whoever sees one sees the other.
  json patch = {{"metadata", {{"annotations", {{kSuspendedForAnnotation, pod_}}}}},
                {"spec", {{"suspend", true}}}};
  return client_.Patch(resources::kMariaDbs, ns_, mariadb_, PatchType::kMerge, patch).status();
}

core::Status MariaDbPodScaling::ResumeIfOurs() const {
  HS_ASSIGN_OR_RETURN(json cr, client_.Get(resources::kMariaDbs, ns_, mariadb_));
  const auto mark = json::json_pointer("/metadata/annotations") / kSuspendedForAnnotation;
  if (!cr.contains(mark)) {
    return core::Status::Ok();
  }
  json patch = {{"metadata", {{"annotations", {{kSuspendedForAnnotation, nullptr}}}}},
                {"spec", {{"suspend", false}}}};
  HS_TRY(client_.Patch(resources::kMariaDbs, ns_, mariadb_, PatchType::kMerge, patch).status());
  core::LogInfo("resumed MariaDB '" + ns_ + "/" + mariadb_ + "'");
  return core::Status::Ok();
}

core::Status MariaDbPodScaling::Hold() const {
  json patch = {{"metadata", {{"annotations", {{kHeldForAnnotation, pod_}}}}}};
  return client_.Patch(resources::kMariaDbs, ns_, mariadb_, PatchType::kMerge, patch).status();
}

core::Status MariaDbPodScaling::Release() const {
  json patch = {{"metadata", {{"annotations", {{kHeldForAnnotation, nullptr}}}}}};
  return client_.Patch(resources::kMariaDbs, ns_, mariadb_, PatchType::kMerge, patch).status();
}

core::Result<std::string> MariaDbPodScaling::HeldFor() const {
  HS_ASSIGN_OR_RETURN(json cr, client_.Get(resources::kMariaDbs, ns_, mariadb_));
  return HeldForIn(cr);
}

core::Status MariaDbPodScaling::SetReplicas(int replicas) const {
  json patch = {{"spec", {{"replicas", replicas}}}};
  return client_.Patch(resources::kStatefulSets, ns_, mariadb_, PatchType::kMerge, patch).status();
}

core::Status MariaDbPodScaling::ScaleDown(std::chrono::milliseconds timeout) const {
  HS_ASSIGN_OR_RETURN(int ordinal, Ordinal());
  if (ordinal == 0) {
    // Why: a StatefulSet removes its highest ordinals first, so ordinal 0 goes last; stopping it
    // stops every node, and a Galera cluster with no node left has to be bootstrapped again.
    return core::Usage("cannot stop " + what() + " alone: the StatefulSet scales down from its " +
                           "highest ordinal, so ordinal 0 stops only with every other node",
                       "heal ordinal 0 on the node's machine (--platform local), or let "
                       "mariadb-operator's Galera recovery restart the cluster");
  }
  return ScaleDownTo(ordinal, timeout);
}

core::Status MariaDbPodScaling::ScaleDownWithEveryPod(std::chrono::milliseconds timeout) const {
  HS_ASSIGN_OR_RETURN(int ordinal, Ordinal());
  HS_ASSIGN_OR_RETURN(json set, client_.Get(resources::kStatefulSets, ns_, mariadb_));
  const int replicas = set.value("/spec/replicas"_json_pointer, 1);
  HS_TRY(ScaleDownTo(ordinal, timeout));
  // Every pod of a higher ordinal went before this one (the StatefulSet's order); checked, so
  // that no server still runs on a volume the caller writes next.
  for (int other = ordinal + 1; other < replicas; ++other) {
    HS_TRY(WaitPodGone(mariadb_ + "-" + std::to_string(other), timeout));
  }
  return core::Status::Ok();
}

core::Status MariaDbPodScaling::ScaleDownTo(int ordinal, std::chrono::milliseconds timeout) const {
  HS_ASSIGN_OR_RETURN(json set, client_.Get(resources::kStatefulSets, ns_, mariadb_));
  const int replicas = set.value("/spec/replicas"_json_pointer, 1);
  if (replicas > ordinal) {
    HS_TRY(Suspend().Wrap("suspend MariaDB '" + ns_ + "/" + mariadb_ + "'"));
    HS_TRY(SetReplicas(ordinal).Wrap("scale StatefulSet '" + ns_ + "/" + mariadb_ + "'"));
    core::LogInfo("suspended MariaDB '" + ns_ + "/" + mariadb_ + "' and scaled its StatefulSet " +
                  "from " + std::to_string(replicas) + " to " + std::to_string(ordinal) +
                  " replicas; '" + StartCommand() + "' scales it back and resumes it");
  }
  return WaitPodGone(pod_, timeout);
}

std::string MariaDbPodScaling::StartCommand() const {
  auto ordinal = PodOrdinal(pod_);
  return "hasteward --platform kubernetes instance start -n " + ns_ + " -c " + mariadb_ + " -i " +
         (ordinal ? std::to_string(*ordinal) : pod_);
}

core::Status MariaDbPodScaling::WaitPodGone(const std::string& pod,
                                            std::chrono::milliseconds timeout) const {
  return WaitForKube("pod '" + ns_ + "/" + pod + "' not gone", timeout, kKubectlHint,
                     [&]() -> core::Result<bool> {
                       auto got = client_.Get(resources::kPods, ns_, pod);
                       if (!got.ok() && got.status().code() == core::ErrorCode::kNotFound) {
                         return true;
                       }
                       HS_TRY(got.status());
                       return false;
                     });
}

core::Status MariaDbPodScaling::ScaleUp(std::chrono::milliseconds timeout) const {
  HS_ASSIGN_OR_RETURN(int ordinal, Ordinal());
  HS_ASSIGN_OR_RETURN(json cr, client_.Get(resources::kMariaDbs, ns_, mariadb_));
  const int declared = cr.value("/spec/replicas"_json_pointer, 1);
  HS_ASSIGN_OR_RETURN(json set, client_.Get(resources::kStatefulSets, ns_, mariadb_));
  const int current = set.value("/spec/replicas"_json_pointer, 1);
  const std::string held = HeldForIn(cr);
  // Held: up to this pod only, so a restore's target comes back alone (its replicas would be
  // re-pointed at it by nobody, and must not run ahead of its replay).
  const int wanted =
      held.empty() ? std::max(declared, ordinal + 1) : std::max(current, ordinal + 1);
  // The volumes must be free before the StatefulSet's pods can mount them: this pod's, and every
  // other pod's the scale-up brings back (a restore reached each through its helper).
  HS_TRY(RemoveHealHelper(client_, ns_, pod_, timeout));
  for (int other = current; other < wanted; ++other) {
    if (other != ordinal) {
      HS_TRY(RemoveHealHelper(client_, ns_, mariadb_ + "-" + std::to_string(other), timeout));
    }
  }
  if (current < wanted) {
    HS_TRY(SetReplicas(wanted).Wrap("scale StatefulSet '" + ns_ + "/" + mariadb_ + "'"));
  }
  // Resumed before the wait, so a server that never comes up leaves the resource in the
  // operator's hands rather than suspended. Never while a restore holds it: the operator would
  // open the held pod for writes before the restore reached its point.
  if (held.empty()) {
    HS_TRY(ResumeIfOurs().Wrap("resume MariaDB '" + ns_ + "/" + mariadb_ + "'"));
  } else {
    core::LogInfo("MariaDB '" + ns_ + "/" + mariadb_ +
                  "' stays suspended: a restore holds it for '" + held +
                  "' until it hands the cluster back");
  }
  return WaitForKube(what() + " not running", timeout, kKubectlHint, [&]() -> core::Result<bool> {
    auto got = client_.Get(resources::kPods, ns_, pod_);
    if (!got.ok() && got.status().code() == core::ErrorCode::kNotFound) {
      return false;
    }
    HS_ASSIGN_OR_RETURN(json pod, std::move(got));
    return pod.value("/status/phase"_json_pointer, std::string()) == "Running";
  });
}

}  // namespace hasteward::platform::kubernetes
