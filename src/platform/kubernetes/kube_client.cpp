#include "platform/kubernetes/kube_client.h"

#include <algorithm>
#include <sstream>

#include "core/clock.h"

namespace hasteward::platform::kubernetes {

namespace resources {
// NOLINTBEGIN(cert-err58-cpp): short literal strings; an allocation failure before main ends the
// program either way.
const KubeResource kPods{"", "v1", "pods", true};
const KubeResource kSecrets{"", "v1", "secrets", true};
const KubeResource kEvents{"", "v1", "events", true};
const KubeResource kPersistentVolumeClaims{"", "v1", "persistentvolumeclaims", true};
const KubeResource kStatefulSets{"apps", "v1", "statefulsets", true};
const KubeResource kLeases{"coordination.k8s.io", "v1", "leases", true};
const KubeResource kCnpgClusters{"postgresql.cnpg.io", "v1", "clusters", true};
const KubeResource kMariaDbs{"k8s.mariadb.com", "v1alpha1", "mariadbs", true};
const KubeResource kBackupPolicies{"clinic.hasteward.prplanit.com", "v1alpha1", "backuppolicies",
                                   false};
const KubeResource kBackupRepositories{"clinic.hasteward.prplanit.com", "v1alpha1",
                                       "backuprepositories", false};
const KubeResource kStandbyClusters{"clinic.hasteward.prplanit.com", "v1alpha1", "standbyclusters",
                                    false};
// NOLINTEND(cert-err58-cpp)
}  // namespace resources

namespace {

constexpr std::chrono::milliseconds kConnectTimeout{10000};
constexpr size_t kMaxBody = 256 << 20;  // a list of every pod of a big cluster fits

std::string Lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return text;
}

core::Result<std::string> ReadBody(BufferedReader& reader, const HttpAnswerHead& head) {
  core::Bytes body;
  if (Lowercase(head.Get("transfer-encoding")) == "chunked") {
    for (;;) {
      HS_ASSIGN_OR_RETURN(std::string size_line, reader.ReadLine());
      size_t size = std::strtoul(size_line.c_str(), nullptr, 16);
      if (size == 0) {
        HS_ASSIGN_OR_RETURN(std::string trailer, reader.ReadLine());
        break;
      }
      if (body.size() + size > kMaxBody) {
        return core::Status(core::ErrorCode::kUnreachable, "API answer larger than 256 MiB");
      }
      HS_TRY(reader.ReadExact(size, &body));
      HS_ASSIGN_OR_RETURN(std::string crlf, reader.ReadLine());
    }
  } else if (std::string length = head.Get("content-length"); !length.empty()) {
    size_t size = std::strtoul(length.c_str(), nullptr, 10);
    if (size > kMaxBody) {
      return core::Status(core::ErrorCode::kUnreachable, "API answer larger than 256 MiB");
    }
    HS_TRY(reader.ReadExact(size, &body));
  } else {
    uint8_t chunk[65536];
    for (;;) {
      HS_ASSIGN_OR_RETURN(size_t got, reader.ReadSome(chunk));
      if (got == 0) {
        break;
      }
      body.insert(body.end(), chunk, chunk + got);
    }
  }
  return core::AsString(body);
}

}  // namespace

std::string ResourcePath(const KubeResource& res, const std::string& ns, const std::string& name,
                         const std::string& subresource) {
  std::string path =
      res.group.empty() ? "/api/" + res.version : "/apis/" + res.group + "/" + res.version;
  if (res.namespaced && !ns.empty()) {
    path += "/namespaces/" + ns;
  }
  path += "/" + res.plural;
  if (!name.empty()) {
    path += "/" + name;
  }
  if (!subresource.empty()) {
    path += "/" + subresource;
  }
  return path;
}

std::string QueryEscape(const std::string& value) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : value) {
    if (std::isalnum(ch) != 0 || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += kHex[ch >> 4];
      out += kHex[ch & 15];
    }
  }
  return out;
}

std::string HttpAnswerHead::Get(const std::string& lowercase_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lowercase_name) {
      return value;
    }
  }
  return "";
}

core::Result<HttpAnswerHead> ReadAnswerHead(BufferedReader& reader) {
  HS_ASSIGN_OR_RETURN(std::string raw, reader.ReadHead());
  std::istringstream lines(raw);
  std::string line;
  std::getline(lines, line);
  HttpAnswerHead head;
  if (!line.starts_with("HTTP/1.") || line.size() < 12) {
    return core::Status(core::ErrorCode::kUnreachable,
                        "the API server answered something that is not HTTP/1.1");
  }
  head.code = std::atoi(line.substr(9, 3).c_str());
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      size_t value = line.find_first_not_of(" \t", colon + 1);
      head.headers.emplace_back(Lowercase(line.substr(0, colon)),
                                value == std::string::npos ? "" : line.substr(value));
    }
  }
  return head;
}

core::Status ApiError(const KubeResponse& response, const std::string& what) {
  auto status = nlohmann::json::parse(response.body, nullptr, false);
  std::string message = status.is_object() ? status.value("message", "") : "";
  if (message.empty()) {
    message = "HTTP " + std::to_string(response.code);
  }
  const std::string text = what + ": " + message;
  switch (response.code) {
    case 404: return core::NotFound(text);
    case 401:
      return {core::ErrorCode::kAuthFailed, text,
              "check the token or client certificate of the kubeconfig"};
    case 403:
      return {core::ErrorCode::kAuthFailed, text,
              "grant the verb in HASteward's Role (deploy/rbac) to its service account"};
    case 409:
      return {core::ErrorCode::kAlreadyExists, text,
              "the object changed meanwhile: read it again and retry"};
    default: break;
  }
  core::Status error(core::ErrorCode::kUnreachable, text);
  if (response.code >= 500 || response.code == 429) {
    error.SetRetryable();
  }
  return error;
}

bool IsConflict(const KubeResponse& response) {
  if (response.code != 409) {
    return false;
  }
  auto status = nlohmann::json::parse(response.body, nullptr, false);
  return status.is_object() && status.value("reason", "") == "Conflict";
}

core::Result<std::unique_ptr<NetStream>> KubeClient::Connect() const {
  const auto start = core::SystemClock::Get().Monotonic();
  const bool bounded = request_timeout_.count() > 0;
  HS_ASSIGN_OR_RETURN(
      std::unique_ptr<NetStream> stream,
      NetStream::Connect(config_.host, config_.port, config_.use_tls ? &config_.tls : nullptr,
                         bounded ? std::min(kConnectTimeout, request_timeout_) : kConnectTimeout));
  if (bounded) {
    stream->SetDeadline(start + request_timeout_);
  }
  return stream;
}

core::Result<std::string> KubeClient::RequestHead(const std::string& method,
                                                  const std::string& target,
                                                  Accepts accepts) const {
  std::string head = method + " " + target + " HTTP/1.1\r\nHost: " + config_.host + ":" +
                     std::to_string(config_.port) + "\r\nUser-Agent: hasteward\r\n";
  if (accepts == Accepts::kJson) {
    head += "Accept: application/json\r\n";
  }
  HS_ASSIGN_OR_RETURN(std::string token, config_.BearerToken());
  if (!token.empty()) {
    head += "Authorization: Bearer " + token + "\r\n";
  }
  return head;
}

core::Result<KubeResponse> KubeClient::Request(const std::string& method, const std::string& target,
                                               const std::string& body,
                                               const std::string& content_type) const {
  HS_ASSIGN_OR_RETURN(std::unique_ptr<NetStream> stream, Connect());
  HS_ASSIGN_OR_RETURN(std::string head, RequestHead(method, target));
  head += "Connection: close\r\n";
  if (!body.empty()) {
    head += "Content-Type: " + content_type + "\r\n";
  }
  head += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  HS_TRY(stream->WriteAll(core::AsBytes(head + body)));
  BufferedReader reader(stream.get());
  HS_ASSIGN_OR_RETURN(HttpAnswerHead answer, ReadAnswerHead(reader));
  HS_ASSIGN_OR_RETURN(std::string answer_body, ReadBody(reader, answer));
  return KubeResponse{answer.code, std::move(answer_body)};
}

core::Result<nlohmann::json> KubeClient::JsonCall(const std::string& method,
                                                  const std::string& target,
                                                  const std::string& body,
                                                  const std::string& content_type,
                                                  const std::string& what) const {
  auto response = Request(method, target, body, content_type);
  if (!response.ok()) {
    return response.TakeStatus().Wrap(what);
  }
  if (response->code < 200 || response->code >= 300) {
    return ApiError(*response, what);
  }
  auto parsed = nlohmann::json::parse(response->body, nullptr, false);
  if (parsed.is_discarded()) {
    return core::Status(core::ErrorCode::kUnreachable, what + ": the answer is not JSON");
  }
  return parsed;
}

core::Result<nlohmann::json> KubeClient::Get(const KubeResource& res, const std::string& ns,
                                             const std::string& name) const {
  return JsonCall("GET", ResourcePath(res, ns, name), "", "",
                  "get " + res.plural + " '" + ns + "/" + name + "'");
}

core::Result<nlohmann::json> KubeClient::List(const KubeResource& res, const std::string& ns,
                                              const ListOptions& options) const {
  std::string target = ResourcePath(res, ns) + "?";
  if (!options.label_selector.empty()) {
    target += "labelSelector=" + QueryEscape(options.label_selector) + "&";
  }
  if (!options.field_selector.empty()) {
    target += "fieldSelector=" + QueryEscape(options.field_selector) + "&";
  }
  target.pop_back();
  return JsonCall("GET", target, "", "", "list " + res.plural + " in '" + ns + "'");
}

core::Result<nlohmann::json> KubeClient::Create(const KubeResource& res, const std::string& ns,
                                                const nlohmann::json& object) const {
  return JsonCall(
      "POST", ResourcePath(res, ns), object.dump(), "application/json",
      "create " + res.plural + " '" + ns + "/" + object["metadata"].value("name", "") + "'");
}

core::Result<nlohmann::json> KubeClient::Replace(const KubeResource& res, const std::string& ns,
                                                 const nlohmann::json& object) const {
  const std::string name = object["metadata"].value("name", "");
  return JsonCall("PUT", ResourcePath(res, ns, name), object.dump(), "application/json",
                  "update " + res.plural + " '" + ns + "/" + name + "'");
}

core::Result<nlohmann::json> KubeClient::Patch(const KubeResource& res, const std::string& ns,
                                               const std::string& name, PatchType type,
                                               const nlohmann::json& patch,
                                               const std::string& subresource) const {
  return JsonCall(
      "PATCH", ResourcePath(res, ns, name, subresource), patch.dump(),
      type == PatchType::kMerge ? "application/merge-patch+json" : "application/json-patch+json",
      "patch " + res.plural + " '" + ns + "/" + name + "'");
}

core::Status KubeClient::Delete(const KubeResource& res, const std::string& ns,
                                const std::string& name) const {
  auto deleted = JsonCall("DELETE", ResourcePath(res, ns, name), "", "",
                          "delete " + res.plural + " '" + ns + "/" + name + "'");
  if (!deleted.ok() && deleted.status().code() != core::ErrorCode::kNotFound) {
    return deleted.TakeStatus();
  }
  return core::Status::Ok();
}

}  // namespace hasteward::platform::kubernetes
