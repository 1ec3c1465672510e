#include "support/deploy_manifests.h"

#include "core/fd.h"
#include "support/command.h"
#include "support/source_dir.h"

namespace hasteward::testing {

namespace {

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

}  // namespace hasteward::testing
