#include "platform/kubernetes/heal_helper_pod.h"

#include "core/wait_for.h"

namespace hasteward::platform::kubernetes {
namespace {

using nlohmann::json;

constexpr std::chrono::milliseconds kPollEvery{200};

// The template's container named `name`, else its first one; null when it has none.
json TemplateContainer(const json& statefulset, const std::string& name) {
  const json containers =
      statefulset.value("/spec/template/spec/containers"_json_pointer, json::array());
  for (const auto& c : containers) {
    if (c.value("name", "") == name) {
      return c;
    }
  }
  return containers.empty() ? json() : containers.front();
}

}  // namespace

std::string HealHelperName(const std::string& pod) {
  return pod + "-hasteward-heal";
}

core::Result<json> HealHelperManifest(const json& statefulset, const std::string& pod,
                                      const std::string& container, const std::string& data_dir) {
  const std::string set_name = statefulset.value("/metadata/name"_json_pointer, std::string());
  const std::string ns = statefulset.value("/metadata/namespace"_json_pointer, std::string());
  const json server = TemplateContainer(statefulset, container);
  // The claim template whose volume the server mounts at the data directory: its claim for this
  // pod is <template>-<pod>, as the StatefulSet controller names it.
  std::string claim_template;
  for (const auto& mount :
       server.is_object() ? server.value("volumeMounts", json::array()) : json::array()) {
    if (mount.value("mountPath", "") == data_dir && !mount.contains("subPath")) {
      claim_template = mount.value("name", "");
    }
  }
  bool is_claim = false;
  for (const auto& t :
       statefulset.value("/spec/volumeClaimTemplates"_json_pointer, json::array())) {
    is_claim = is_claim || (!claim_template.empty() && t.value("/metadata/name"_json_pointer,
                                                               std::string()) == claim_template);
  }
  if (!is_claim) {
    return core::Usage("StatefulSet '" + ns + "/" + set_name + "' mounts no volume claim at '" +
                           data_dir + "' in container '" + container + "'",
                       "the data directory must be on a per-pod volume claim to be healed "
                       "through the API; heal the node with --platform local where it runs");
  }
  json spec = {{"restartPolicy", "Never"},
               {"containers",
                {{{"name", kHealHelperContainer},
                  {"image", server.value("image", "")},
                  // Idles until deleted: every step runs through exec.
                  {"command", {"sleep", "infinity"}},
                  {"volumeMounts", {{{"name", "data"}, {"mountPath", data_dir}}}}}}},
               {"volumes",
                {{{"name", "data"},
                  {"persistentVolumeClaim", {{"claimName", claim_template + "-" + pod}}}}}}};
  // The server's identity, so kept and reset files keep their owner and mode.
  if (server.contains("securityContext")) {
    spec["containers"][0]["securityContext"] = server["securityContext"];
  }
  const json pod_security =
      statefulset.value("/spec/template/spec/securityContext"_json_pointer, json());
  if (!pod_security.is_null()) {
    spec["securityContext"] = pod_security;
  }
  return json{
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata",
       {{"name", HealHelperName(pod)},
        {"namespace", ns},
        {"labels", {{kHealHelperLabel, pod}, {"app.kubernetes.io/managed-by", "hasteward"}}}}},
      {"spec", spec}};
}

core::Status WaitForKube(const std::string& what, std::chrono::milliseconds timeout,
                         const std::string& hint,
                         const std::function<core::Result<bool>()>& probe) {
  // An error from the API server ends the wait: a pod it says is gone will not come back.
  return core::WaitFor(what, timeout, probe,
                       {.interval = kPollEvery, .hint = hint, .stop_on_probe_error = true});
}

core::Result<std::string> EnsureHealHelper(const KubeClient& client, const std::string& ns,
                                           const json& manifest,
                                           std::chrono::milliseconds timeout) {
  const std::string name = manifest.value("/metadata/name"_json_pointer, std::string());
  auto existing = client.Get(resources::kPods, ns, name);
  if (!existing.ok() && existing.status().code() == core::ErrorCode::kNotFound) {
    HS_TRY(client.Create(resources::kPods, ns, manifest).status());
  } else {
    HS_TRY(existing.status());
  }
  HS_TRY(WaitForKube("helper pod '" + ns + "/" + name + "' not running", timeout,
                     "check its events (kubectl -n " + ns + " describe pod " + name +
                         "): its volume claim may still be attached to another pod, or its "
                         "image still pulling; allow it more time (repair: --heal-timeout), or "
                         "delete it (kubectl -n " +
                         ns + " delete pod " + name + ") and run the command again",
                     [&]() -> core::Result<bool> {
                       HS_ASSIGN_OR_RETURN(json pod, client.Get(resources::kPods, ns, name));
                       return pod.value("/status/phase"_json_pointer, std::string()) == "Running";
                     }));
  return name;
}

core::Status RemoveHealHelper(const KubeClient& client, const std::string& ns,
                              const std::string& pod, std::chrono::milliseconds timeout) {
  const std::string name = HealHelperName(pod);
  HS_TRY(client.Delete(resources::kPods, ns, name));
  return WaitForKube("helper pod '" + ns + "/" + name + "' not gone", timeout,
                     "delete it (kubectl delete pod " + name + ") before the server starts",
                     [&]() -> core::Result<bool> {
                       auto got = client.Get(resources::kPods, ns, name);
                       if (!got.ok() && got.status().code() == core::ErrorCode::kNotFound) {
                         return true;
                       }
                       HS_TRY(got.status());
                       return false;
                     });
}

}  // namespace hasteward::platform::kubernetes
