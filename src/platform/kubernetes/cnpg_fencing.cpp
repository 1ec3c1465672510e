#include "platform/kubernetes/cnpg_fencing.h"

namespace hasteward::platform::kubernetes {
namespace {

using nlohmann::json;

// Writers of the annotation are few (HASteward, an admin's kubectl cnpg): a handful of retries
// settles any race.
constexpr int kConflictRetries = 5;

}  // namespace

core::Result<std::set<std::string>> FencedInstances(const json& cluster_cr) {
  std::set<std::string> out;
  const json::json_pointer where =
      json::json_pointer("/metadata/annotations") / std::string(kCnpgFencingAnnotation);
  if (!cluster_cr.contains(where) || !cluster_cr.at(where).is_string()) {
    return out;
  }
  const std::string text = cluster_cr.at(where).get<std::string>();
  json list = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!list.is_array()) {
    return core::Usage(
        std::string("annotation ") + kCnpgFencingAnnotation + " is not a JSON list: '" + text + "'",
        "fix it with 'kubectl cnpg fencing off' or kubectl annotate");
  }
  for (const auto& name : list) {
    if (!name.is_string()) {
      return core::Usage(std::string("annotation ") + kCnpgFencingAnnotation +
                             " holds a non-string entry: '" + text + "'",
                         "fix it with 'kubectl cnpg fencing off' or kubectl annotate");
    }
    out.insert(name.get<std::string>());
  }
  return out;
}

bool CoversPod(const std::set<std::string>& fenced, const std::string& pod) {
  return fenced.count(pod) != 0 || fenced.count(kCnpgFenceAll) != 0;
}

namespace {

// One read-change-patch round: true when the annotation says what was asked, false when another
// writer changed the Cluster in between (409 on the read resourceVersion).
core::Result<bool> TrySetFenced(const KubeClient& client, const std::string& ns,
                                const std::string& cluster, const std::string& pod, bool fenced) {
  HS_ASSIGN_OR_RETURN(json cr, client.Get(resources::kCnpgClusters, ns, cluster));
  HS_ASSIGN_OR_RETURN(std::set<std::string> names, FencedInstances(cr));
  if (!fenced && names.count(pod) == 0 && names.count(kCnpgFenceAll) != 0) {
    return core::Usage("every instance of Cluster '" + ns + "/" + cluster + "' is fenced ('*'); '" +
                           pod + "' cannot be unfenced alone",
                       "lift the cluster-wide fence ('kubectl cnpg fencing off " + cluster +
                           " \"*\"') when its reason is gone");
  }
  if (fenced == (names.count(pod) != 0)) {
    return true;
  }
  if (fenced) {
    names.insert(pod);
  } else {
    names.erase(pod);
  }
  // An empty list is written as no annotation, as `kubectl cnpg fencing off` leaves it.
  json value = names.empty() ? json(nullptr) : json(json(names).dump());
  json patch = {{"metadata",
                 {{"resourceVersion", cr.value("/metadata/resourceVersion"_json_pointer, "")},
                  {"annotations", {{kCnpgFencingAnnotation, value}}}}}};
  auto patched = client.Patch(resources::kCnpgClusters, ns, cluster, PatchType::kMerge, patch);
  if (!patched.ok() && patched.status().code() == core::ErrorCode::kAlreadyExists) {
    return false;
  }
  HS_TRY(patched.status());
  return true;
}

}  // namespace

core::Status SetFenced(const KubeClient& client, const std::string& ns, const std::string& cluster,
                       const std::string& pod, bool fenced) {
  core::Result<bool> done = false;
  for (int attempt = 0; attempt <= kConflictRetries; ++attempt) {
    done = TrySetFenced(client, ns, cluster, pod, fenced);
    if (!done.ok() || *done) {
      break;
    }
  }
  const std::string what = std::string(fenced ? "fence '" : "unfence '") + pod + "' in Cluster '" +
                           ns + "/" + cluster + "'";
  if (!done.ok()) {
    return done.TakeStatus().Wrap(what);
  }
  if (!*done) {
    return core::Status(core::ErrorCode::kAlreadyExists,
                        what + ": the Cluster kept changing under " +
                            std::to_string(kConflictRetries + 1) + " attempts",
                        "run the command again");
  }
  return core::Status::Ok();
}

}  // namespace hasteward::platform::kubernetes
