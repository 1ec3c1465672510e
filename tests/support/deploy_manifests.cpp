#include "support/deploy_manifests.h"

#include "core/fd.h"
#include "support/command.h"
#include "support/source_dir.h"

namespace hasteward::testing {

namespace {

constexpr char kNamespacePlaceholder[] = "DATABASE_NAMESPACE";

std::string DeployDir() {
  return SourceDir() + "/deploy";
}

}  // namespace

core::Result<std::string> RenderDeployManifests() {
  CmdResult rendered = RunCommand({"kubectl", "kustomize", DeployDir()});
  if (rendered.exit_code != 0) {
    return core::Status(core::ErrorCode::kInternal,
                        "kubectl kustomize " + DeployDir() + " failed: " + rendered.err,
                        "install kubectl (kubernetes-client) and fix deploy/kustomization.yaml");
  }
  return rendered.out;
}

core::Result<std::string> WriteDeployRbacFile(const std::string& path,
                                              const std::vector<std::string>& secret_namespaces) {
  HS_ASSIGN_OR_RETURN(std::string text, RenderDeployManifests());
  HS_ASSIGN_OR_RETURN(
      std::string example,
      core::ReadFileToString(DeployDir() + "/examples/secret-reader-rolebinding.yaml"));
  for (const auto& ns : secret_namespaces) {
    std::string binding = example;
    const std::string placeholder = kNamespacePlaceholder;
    for (auto at = binding.find(placeholder); at != std::string::npos;
         at = binding.find(placeholder, at + ns.size())) {
      binding.replace(at, placeholder.size(), ns);
    }
    text += "\n---\n" + binding;
  }
  return WriteFile(path, text);
}

}  // namespace hasteward::testing
