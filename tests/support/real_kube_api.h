// RealKubeApi: a real etcd and kube-apiserver for a test binary, on loopback, as envtest starts
// them (controller-runtime pkg/internal/testing/controlplane): the binaries tools/kube/build.sh
// built from their Go modules at the pinned versions, TLS from a CA made here, client-certificate
// and service-account-token authentication, Node and RBAC authorization, and an audit log of every
// request with the authorizer's decision. No node runs pods: what needs one (exec, port-forward)
// is proxied by the server to a node that a test registers itself.
//
// Both processes die with the test (PR_SET_PDEATHSIG, kill -9 of the test included) and with the
// fixture; their data lives in a temporary directory removed at the end.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "core/subprocess.h"
#include "core/temp_dir.h"
#include "support/command.h"
#include "support/fake_kube_pki.h"

namespace hasteward::testing {

// Where the binaries are: $HASTEWARD_KUBE_BIN, else what `tools/kube/build.sh --print-dir` names.
// kNotFound, with the command that builds them, when one is missing.
core::Result<std::string> RealKubeBinDir();
// The pinned operators' CRDs (crds/cnpg.yaml, crds/mariadb-operator.yaml) and examples
// (examples/cnpg-cluster-example.yaml, examples/mariadb-operator-mariadb*.yaml), taken from their
// Go modules by `tools/kube/build.sh --manifests`.
core::Result<std::string> RealKubeManifestsDir();

// Flags a test adds to the servers' own (RealKubeApi::StartWith).
struct RealKubeApiOptions {
  std::vector<std::string> etcd_flags;
  std::vector<std::string> apiserver_flags;
};

class RealKubeApi {
 public:
  static core::Result<std::unique_ptr<RealKubeApi>> Start();
  ~RealKubeApi();
  RealKubeApi(const RealKubeApi&) = delete;
  RealKubeApi& operator=(const RealKubeApi&) = delete;

  std::string url() const;  // https://127.0.0.1:PORT
  const std::string& ca_file() const { return ca_file_; }
  const std::string& admin_kubeconfig() const { return admin_kubeconfig_; }
  const std::string& bin_dir() const { return bin_dir_; }
  const std::string& dir() const { return dir_.path(); }
  const std::shared_ptr<FakeKubePki>& pki() const { return pki_; }

  // The built kubectl with `args`, as the cluster admin (system:masters).
  CmdResult Kubectl(const std::vector<std::string>& args, const std::string& stdin_text = "") const;
  // Creates (kubectl create -f -) an object as the admin; the object as stored.
  core::Result<nlohmann::json> Create(const nlohmann::json& object) const;
  // Creates namespace `ns` with its default ServiceAccount (which pods need, and which only
  // kube-controller-manager would create).
  core::Status CreateNamespace(const std::string& ns) const;
  // Applies a manifest file as the admin; server-side, as large CRDs need (their last-applied
  // annotation would exceed the size limit).
  core::Status ApplyServerSide(const std::string& file) const;
  // deploy/ applied as users apply it (`kubectl apply -k deploy/`: its CRDs, namespace,
  // ServiceAccount and RBAC), the secret reader of deploy/examples bound in each of
  // `database_namespaces` (which must exist), and deploy/'s CRDs Established.
  core::Status ApplyDeploy(const std::vector<std::string>& database_namespaces) const;
  // Returns once a list of `resource` ("clusters.postgresql.cnpg.io") succeeds: a CRD answers
  // 429 for a few seconds after it is Established.
  core::Status WaitServed(const std::string& resource) const;
  // A token of service account `ns/name` (the TokenRequest API, as `kubectl create token`).
  core::Result<std::string> ServiceAccountToken(const std::string& ns,
                                                const std::string& name) const;
  // A kubeconfig of deploy/'s operator ServiceAccount (hasteward/hasteward) with a fresh token,
  // default namespace `ns`; returns its path.
  core::Result<std::string> OperatorKubeconfig(const std::string& ns) const;
  // A kubeconfig for this server with `token` as its user; returns its path.
  core::Result<std::string> WriteKubeconfig(const std::string& token,
                                            const std::string& ns = "default") const;
  // The audit log's events (one JSON object per request, level Metadata), in order.
  std::vector<nlohmann::json> AuditEvents() const;

  // Start() with `options`' flags added.
  static core::Result<std::unique_ptr<RealKubeApi>> StartWith(const RealKubeApiOptions& options);
  // etcd's client URL (http://127.0.0.1:PORT), for what only etcd's own API does.
  std::string etcd_url() const;
  // Compacts etcd's history up to its current revision (what kube-apiserver's own compactor does
  // every --etcd-compaction-interval): a watch from any earlier resourceVersion that reaches etcd
  // is answered 410 Expired. Returns the revision compacted to.
  core::Result<int64_t> CompactEtcd() const;

 private:
  explicit RealKubeApi(core::TempDir dir) : dir_(std::move(dir)) {}
  static core::Result<std::unique_ptr<RealKubeApi>> StartOnce(const RealKubeApiOptions& options);
  core::Status WriteFiles();
  core::Status StartEtcd();
  core::Status StartApiServer();
  core::Status WaitReady();

  core::TempDir dir_;
  std::shared_ptr<FakeKubePki> pki_;
  std::string bin_dir_;
  std::string ca_file_;
  std::string admin_kubeconfig_;
  int etcd_port_ = 0;
  int port_ = 0;
  std::unique_ptr<core::Subprocess> etcd_;
  std::unique_ptr<core::Subprocess> apiserver_;
  RealKubeApiOptions options_;
};

}  // namespace hasteward::testing
