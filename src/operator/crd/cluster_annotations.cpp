#include "operator/crd/cluster_annotations.h"

#include <set>
#include <string>

namespace hasteward::op {

namespace {

constexpr char kAnnotationPrefix[] = "clinic.hasteward.prplanit.com/";

std::string Annotation(const platform::Cluster& cluster, const char* key) {
  auto found = cluster.annotations.find(key);
  return found == cluster.annotations.end() ? std::string() : found->second;
}

}  // namespace

core::Result<std::optional<ManagedCluster>> ManagedFromAnnotations(
    const ServeConfig& config, const platform::Cluster& cluster) {
  const std::string where = "cluster '" + cluster.ns + "/" + cluster.name + "'";
  if (!cluster.annotations.count(kPolicyAnnotation))
    return std::optional<ManagedCluster>();
  static const std::set<std::string> kKnown = {kPolicyAnnotation,         kBackupScheduleAnnotation,
                                               kTriageScheduleAnnotation, kVerifyScheduleAnnotation,
                                               kModeAnnotation,           kPitrAnnotation,
                                               kBackupMethodAnnotation,   kExcludeAnnotation};
  for (const auto& [key, value] : cluster.annotations) {
    if (key.rfind(kAnnotationPrefix, 0) == 0 && !kKnown.count(key)) {
      std::string message = where;
      message += " has unknown annotation '" + key + "'";
      return core::Usage(
          message,
          "the annotations are policy, backup-schedule, triage-schedule, "
          "verify-schedule, mode, pitr, backup-method and exclude (docs/operator.md)");
    }
  }
  const std::string exclude = Annotation(cluster, kExcludeAnnotation);
  if (!exclude.empty() && exclude != "true" && exclude != "false") {
    return core::Usage(
        where + ": annotation '" + std::string(kExcludeAnnotation) + "' is '" + exclude + "'",
        "set it to \"true\" or \"false\"");
  }
  if (exclude == "true")
    return std::optional<ManagedCluster>();
  const std::string pitr = Annotation(cluster, kPitrAnnotation);
  if (!pitr.empty() && pitr != "true" && pitr != "false") {
    return core::Usage(
        where + ": annotation '" + std::string(kPitrAnnotation) + "' is '" + pitr + "'",
        "set it to \"true\" or \"false\"");
  }
  ClusterSpec spec;
  spec.ns = cluster.ns;
  spec.name = cluster.name;
  spec.policy = Annotation(cluster, kPolicyAnnotation);
  if (spec.policy.empty())
    spec.policy = "default";  // as for a config entry without `policy:`
  spec.backup_schedule = Annotation(cluster, kBackupScheduleAnnotation);
  spec.triage_schedule = Annotation(cluster, kTriageScheduleAnnotation);
  spec.verify_schedule = Annotation(cluster, kVerifyScheduleAnnotation);
  spec.mode = Annotation(cluster, kModeAnnotation);
  if (!pitr.empty())
    spec.pitr = pitr == "true";
  HS_ASSIGN_OR_RETURN(
      spec.backup_method,
      ParseBackupMethod(Annotation(cluster, kBackupMethodAnnotation),
                        where + ": annotation '" + std::string(kBackupMethodAnnotation) + "'"));
  auto managed = ResolveCluster(config, spec);
  if (!managed.ok())
    return managed.TakeStatus().Wrap("annotations");
  return std::optional<ManagedCluster>(std::move(managed).value());
}

}  // namespace hasteward::op
