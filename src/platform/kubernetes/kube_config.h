// Where the Kubernetes API is and how to authenticate: from the in-cluster service account (token
// file, CA, KUBERNETES_SERVICE_HOST/PORT) or from a kubeconfig file (the current context's
// cluster and user: bearer token or token file, client certificate and key, CA data or file).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "core/status.h"
#include "platform/kubernetes/net_stream.h"

namespace hasteward::platform::kubernetes {

struct KubeConfig {
  std::string host;  // name or address of the API server
  int port = 443;
  bool use_tls = true;
  TlsClientOptions tls;
  std::string token;           // bearer token; "" when the token comes from token_file or a cert
  std::string token_file;      // re-read on every connection (service account tokens rotate)
  std::string ns = "default";  // the context's (or the pod's) namespace
  bool in_cluster = false;     // from the pod's service account, not a kubeconfig

  // The bearer token to send now ("" for none).
  core::Result<std::string> BearerToken() const;
};

// Reads environment variables; tests inject their own.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup ProcessEnv();

// In-cluster configuration: KUBERNETES_SERVICE_HOST/PORT and the service account files under
// `account_dir` (token, ca.crt, namespace). kNotFound when not running in a pod.
core::Result<KubeConfig> LoadInClusterConfig(
    const EnvLookup& env,
    const std::string& account_dir = "/var/run/secrets/kubernetes.io/serviceaccount");

// A kubeconfig file; `context` "" means its current-context. kUsage naming the file on a malformed
// or incomplete file.
core::Result<KubeConfig> LoadKubeconfig(const std::string& path, const std::string& context = "");

// $KUBECONFIG (first file), else ~/.kube/config if it exists, else the in-cluster configuration.
core::Result<KubeConfig> LoadDefaultConfig(const EnvLookup& env);

}  // namespace hasteward::platform::kubernetes
