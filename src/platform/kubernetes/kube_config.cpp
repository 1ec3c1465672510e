#include "platform/kubernetes/kube_config.h"

#include <cstdlib>
#include <filesystem>

#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

#include "core/fd.h"

namespace hasteward::platform::kubernetes {
namespace {

std::string TrimNewlines(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
    text.pop_back();
  }
  return text;
}

core::Result<std::string> DecodeBase64(const std::string& encoded, const std::string& what) {
  std::string compact;
  for (char ch : encoded) {
    if (ch != '\n' && ch != '\r' && ch != ' ') {
      compact += ch;
    }
  }
  std::string out(3 * compact.size() / 4 + 3, '\0');
  int written = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(compact.data()),
                                static_cast<int>(compact.size()));
  if (written < 0) {
    return core::Usage(what + " is not valid base64");
  }
  size_t padding = compact.size() - compact.find_last_not_of('=') - 1;
  out.resize(static_cast<size_t>(written) - std::min<size_t>(padding, 2));
  return out;
}

// Splits "https://host:port/" into the config's host, port and scheme.
core::Status ParseServer(const std::string& server, KubeConfig* config) {
  std::string rest = server;
  if (rest.starts_with("https://")) {
    rest = rest.substr(8);
    config->use_tls = true;
    config->port = 443;
  } else if (rest.starts_with("http://")) {
    rest = rest.substr(7);
    config->use_tls = false;
    config->port = 80;
  } else {
    return core::Usage("API server address '" + server + "' is not an http(s) URL");
  }
  rest = rest.substr(0, rest.find('/'));
  size_t colon = rest.rfind(':');
  if (rest.starts_with("[")) {  // [ipv6]:port
    size_t close = rest.find(']');
    config->host = rest.substr(1, close - 1);
    colon = rest.find(':', close);
  } else {
    config->host = rest.substr(0, colon);
  }
  if (colon != std::string::npos) {
    config->port = std::atoi(rest.substr(colon + 1).c_str());
  }
  if (config->host.empty() || config->port <= 0) {
    return core::Usage("API server address '" + server + "' has no host or port");
  }
  return core::Status::Ok();
}

// Data inline (base64) or a file, relative to the kubeconfig's directory.
core::Result<std::string> DataOrFile(const YAML::Node& node, const std::string& data_key,
                                     const std::string& file_key, const std::string& base_dir) {
  if (node[data_key]) {
    return DecodeBase64(node[data_key].as<std::string>(), data_key);
  }
  if (node[file_key]) {
    std::filesystem::path file = node[file_key].as<std::string>();
    if (file.is_relative()) {
      file = std::filesystem::path(base_dir) / file;
    }
    return core::ReadFileToString(file.string());
  }
  return std::string();
}

const YAML::Node FindNamed(const YAML::Node& list, const std::string& name, const char* field) {
  for (const auto& item : list) {
    if (item["name"].as<std::string>("") == name) {
      return item[field];
    }
  }
  return YAML::Node();
}

core::Result<KubeConfig> FromKubeconfig(const YAML::Node& root, const std::string& path,
                                        const std::string& wanted_context) {
  const std::string base_dir = std::filesystem::path(path).parent_path().string();
  const std::string context_name =
      wanted_context.empty() ? root["current-context"].as<std::string>("") : wanted_context;
  const YAML::Node context = FindNamed(root["contexts"], context_name, "context");
  if (!context) {
    return core::Usage("kubeconfig '" + path + "' has no context '" + context_name + "'",
                       "pick a context with 'kubectl config use-context NAME'");
  }
  const YAML::Node cluster =
      FindNamed(root["clusters"], context["cluster"].as<std::string>(""), "cluster");
  const YAML::Node user = FindNamed(root["users"], context["user"].as<std::string>(""), "user");
  if (!cluster || !cluster["server"]) {
    return core::Usage("kubeconfig '" + path + "': context '" + context_name +
                       "' names no cluster with a server address");
  }
  KubeConfig config;
  HS_TRY(ParseServer(cluster["server"].as<std::string>(), &config));
  config.ns = context["namespace"].as<std::string>("default");
  HS_ASSIGN_OR_RETURN(config.tls.ca_pem, DataOrFile(cluster, "certificate-authority-data",
                                                    "certificate-authority", base_dir));
  config.tls.insecure_skip_verify = cluster["insecure-skip-tls-verify"].as<bool>(false);
  config.tls.server_name = cluster["tls-server-name"].as<std::string>("");
  if (user) {
    HS_ASSIGN_OR_RETURN(config.tls.client_cert_pem, DataOrFile(user, "client-certificate-data",
                                                               "client-certificate", base_dir));
    HS_ASSIGN_OR_RETURN(config.tls.client_key_pem,
                        DataOrFile(user, "client-key-data", "client-key", base_dir));
    config.token = user["token"].as<std::string>("");
    config.token_file = user["tokenFile"].as<std::string>("");
    if (user["exec"] || user["auth-provider"]) {
      return core::Usage("kubeconfig '" + path + "': user '" + context["user"].as<std::string>("") +
                             "' authenticates through an exec plugin or auth provider, which "
                             "HASteward does not run",
                         "use a service account token or a client certificate");
    }
  }
  return config;
}

}  // namespace

core::Result<std::string> KubeConfig::BearerToken() const {
  if (!token_file.empty()) {
    HS_ASSIGN_OR_RETURN(std::string text, core::ReadFileToString(token_file));
    return TrimNewlines(text);
  }
  return token;
}

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe): read-only
    if (value == nullptr) {
      return std::nullopt;
    }
    return std::string(value);
  };
}

core::Result<KubeConfig> LoadInClusterConfig(const EnvLookup& env, const std::string& account_dir) {
  auto host = env("KUBERNETES_SERVICE_HOST");
  auto port = env("KUBERNETES_SERVICE_PORT");
  if (!host || !port || host->empty()) {
    return core::NotFound("not running in a Kubernetes pod (KUBERNETES_SERVICE_HOST is not set)",
                          "pass --kubeconfig FILE or set KUBECONFIG");
  }
  KubeConfig config;
  config.host = *host;
  config.port = std::atoi(port->c_str());
  config.token_file = account_dir + "/token";
  config.in_cluster = true;
  HS_ASSIGN_OR_RETURN(config.tls.ca_pem, core::ReadFileToString(account_dir + "/ca.crt"));
  auto ns = core::ReadFileToString(account_dir + "/namespace");
  if (ns.ok()) {
    config.ns = TrimNewlines(*ns);
  }
  HS_ASSIGN_OR_RETURN(std::string token, config.BearerToken());  // readable now, or an error
  return config;
}

core::Result<KubeConfig> LoadKubeconfig(const std::string& path, const std::string& context) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return core::NotFound("kubeconfig '" + path + "' cannot be read");
  } catch (const YAML::Exception& error) {
    return core::Usage("kubeconfig '" + path + "' is malformed: " + error.what());
  }
  try {
    return FromKubeconfig(root, path, context);
  } catch (const YAML::Exception& error) {
    return core::Usage("kubeconfig '" + path + "' is malformed: " + error.what());
  }
}

core::Result<KubeConfig> LoadDefaultConfig(const EnvLookup& env) {
  if (auto list = env("KUBECONFIG"); list && !list->empty()) {
    return LoadKubeconfig(list->substr(0, list->find(':')));
  }
  if (auto home = env("HOME"); home) {
    const std::string path = *home + "/.kube/config";
    if (std::filesystem::exists(path)) {
      return LoadKubeconfig(path);
    }
  }
  return LoadInClusterConfig(env);
}

}  // namespace hasteward::platform::kubernetes
