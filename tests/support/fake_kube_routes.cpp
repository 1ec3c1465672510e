// FakeKubeApi's routing: discovery, the resource endpoints (get, list, watch, create, update,
// patch, delete, the status subresource), pod exec and pod port-forward.
#include <algorithm>
#include <cstdlib>
#include <sstream>

#include <strings.h>

#include "platform/kubernetes/websocket.h"
#include "support/fake_kube_api.h"

namespace hasteward::testing {
namespace {

namespace k8s = platform::kubernetes;
using nlohmann::json;

// A parsed resource path: /api/v1/namespaces/NS/PLURAL/NAME/SUB or /apis/G/V/...
struct ResourcePath {
  std::string group, version, ns, plural, name, subresource;
};

std::vector<std::string> Segments(const std::string& path) {
  std::vector<std::string> parts;
  std::stringstream stream(path);
  std::string part;
  while (std::getline(stream, part, '/')) {
    if (!part.empty()) {
      parts.push_back(part);
    }
  }
  return parts;
}

bool ParseResourcePath(const std::string& path, ResourcePath* out) {
  std::vector<std::string> parts = Segments(path);
  size_t at = 0;
  if (parts.size() >= 3 && parts[0] == "api") {
    out->version = parts[1];
    at = 2;
  } else if (parts.size() >= 4 && parts[0] == "apis") {
    out->group = parts[1];
    out->version = parts[2];
    at = 3;
  } else {
    return false;
  }
  if (parts.size() - at >= 3 && parts[at] == "namespaces") {
    out->ns = parts[at + 1];
    at += 2;
  }
  out->plural = parts[at];
  out->name = parts.size() > at + 1 ? parts[at + 1] : "";
  out->subresource = parts.size() > at + 2 ? parts[at + 2] : "";
  return parts.size() <= at + 3;
}

std::string VerbOf(const FakeKubeRequest& request, const ResourcePath& path) {
  if ((path.subresource == "exec" || path.subresource == "portforward") &&
      request.method == "POST") {
    return "create";  // a SPDY upgrade
  }
  if (request.method == "GET") {
    return !path.name.empty() ? "get" : request.QueryFlag("watch") ? "watch" : "list";
  }
  if (request.method == "POST") {
    return "create";
  }
  if (request.method == "PUT") {
    return "update";
  }
  if (request.method == "PATCH") {
    return "patch";
  }
  if (request.method == "DELETE") {
    return path.name.empty() ? "deletecollection" : "delete";
  }
  return request.method;
}

json ResourceList(const std::string& group_version, const std::vector<FakeKubeResource>& all) {
  json resources = json::array();
  const json verbs = {"create", "delete", "get", "list", "patch", "update", "watch"};
  for (const auto& res : all) {
    if (res.ApiVersion() != group_version) {
      continue;
    }
    resources.push_back({{"name", res.plural},
                         {"singularName", ""},
                         {"namespaced", res.namespaced},
                         {"kind", res.kind},
                         {"verbs", verbs}});
    if (res.status_subresource) {
      resources.push_back({{"name", res.plural + "/status"},
                           {"singularName", ""},
                           {"namespaced", res.namespaced},
                           {"kind", res.kind},
                           {"verbs", {"get", "patch", "update"}}});
    }
    if (res.plural == "pods") {
      resources.push_back({{"name", "pods/exec"},
                           {"singularName", ""},
                           {"namespaced", true},
                           {"kind", "PodExecOptions"},
                           {"verbs", {"create", "get"}}});
      resources.push_back({{"name", "pods/portforward"},
                           {"singularName", ""},
                           {"namespaced", true},
                           {"kind", "PodPortForwardOptions"},
                           {"verbs", {"create", "get"}}});
    }
  }
  return {{"kind", "APIResourceList"},
          {"apiVersion", "v1"},
          {"groupVersion", group_version},
          {"resources", resources}};
}

}  // namespace

FakeKubeReply FakeKubeApi::HandleDiscovery(const std::string& path) const {
  if (path == "/version") {
    return {200,
            {{"major", "1"},
             {"minor", "30"},
             {"gitVersion", "v1.30.0-fake"},
             {"platform", "linux/amd64"}}};
  }
  if (path == "/healthz" || path == "/readyz" || path == "/livez") {
    return {200, "ok"};
  }
  if (path == "/api") {
    return {200,
            {{"kind", "APIVersions"},
             {"versions", {"v1"}},
             {"serverAddressByClientCIDRs",
              {{{"clientCIDR", "0.0.0.0/0"},
                {"serverAddress", "127.0.0.1:" + std::to_string(port_)}}}}}};
  }
  if (path == "/apis") {
    json groups = json::array();
    std::set<std::string> seen;
    for (const auto& res : resources_) {
      if (!res.group.empty() && seen.insert(res.ApiVersion()).second) {
        json version = {{"groupVersion", res.ApiVersion()}, {"version", res.version}};
        groups.push_back(
            {{"name", res.group}, {"versions", {version}}, {"preferredVersion", version}});
      }
    }
    return {200, {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", groups}}};
  }
  std::vector<std::string> parts = Segments(path);
  if (parts.size() == 2 && parts[0] == "api") {
    return {200, ResourceList(parts[1], resources_)};
  }
  if (parts.size() == 3 && parts[0] == "apis") {
    json list = ResourceList(parts[1] + "/" + parts[2], resources_);
    if (!list["resources"].empty()) {
      return {200, list};
    }
  }
  return StatusReply(404, "NotFound", "the server could not find the requested resource");
}

bool FakeKubeApi::HandleOne(k8s::NetStream& stream, k8s::BufferedReader& reader) {
  auto read = ReadFakeKubeRequest(reader);
  if (!read.ok()) {
    return false;
  }
  FakeKubeRequest& request = *read;
  if (IsPartitioned(request)) {
    return false;  // the connection drops unanswered
  }
  if (!Authenticate(request, stream)) {
    return WriteFakeKubeReply(stream, StatusReply(401, "Unauthorized", "Unauthorized"));
  }
  if (IsKubeletPath(request.path)) {
    return HandleKubelet(request, stream, reader);
  }
  ResourcePath path;
  if (!ParseResourcePath(request.path, &path) || path.plural == "") {
    return WriteFakeKubeReply(stream, HandleDiscovery(request.path));
  }
  return HandleResource(request, stream, reader);
}

bool FakeKubeApi::HandleResource(FakeKubeRequest& request, k8s::NetStream& stream,
                                 k8s::BufferedReader& reader) {
  ResourcePath path;
  ParseResourcePath(request.path, &path);
  const FakeKubeResource* res = FindResource(path.group, path.plural);
  if (res == nullptr || res->version != path.version ||
      (!path.subresource.empty() && path.subresource != "status" &&
       !((path.subresource == "exec" || path.subresource == "portforward") &&
         path.plural == "pods"))) {
    return WriteFakeKubeReply(
        stream, StatusReply(404, "NotFound", "the server could not find the requested resource"));
  }
  // A WebSocket upgrade of exec or port-forward is a GET: the real server authorizes it as get
  // and, since 1.35 (KEP-4006), as create too; tests/integration/real_kube_rbac_test.cpp holds
  // this reading against a real kube-apiserver.
  std::vector<std::string> verbs = {VerbOf(request, path)};
  if ((path.subresource == "exec" || path.subresource == "portforward") &&
      request.method == "GET") {
    verbs.emplace_back("create");
  }
  const std::string resource =
      path.subresource.empty() ? path.plural : path.plural + "/" + path.subresource;
  for (const auto& verb : verbs) {
    if (!rbac_.empty() &&
        !rbac_.Allows(request.user, {verb, path.group, resource, path.ns, path.name})) {
      std::string message =
          resource + (path.name.empty() ? "" : " \"" + path.name + "\"") +
          " is forbidden: User \"" + request.user.name + "\" cannot " + verb + " resource \"" +
          resource + "\" in API group \"" + path.group + "\"" +
          (path.ns.empty() ? " at the cluster scope" : " in the namespace \"" + path.ns + "\"");
      return WriteFakeKubeReply(stream, StatusReply(403, "Forbidden", message));
    }
  }
  {
    std::lock_guard lock(mu_);
    for (const auto& verb : verbs) {
      grants_used_.insert(verb + " " + (path.group.empty() ? "" : path.group + "/") + resource);
    }
  }
  const std::string& verb = verbs.front();
  if (path.subresource == "exec") {
    return HandleExec(request, stream, reader);
  }
  if (path.subresource == "portforward") {
    return HandlePortForward(request, stream, reader);
  }
  if (verb == "watch") {
    return StreamWatch(request, stream);
  }
  json body;
  if (!request.body.empty()) {
    body = json::parse(request.body, nullptr, false);
    if (body.is_discarded()) {
      return WriteFakeKubeReply(stream,
                                StatusReply(400, "BadRequest", "the request body is not JSON"));
    }
  }
  const bool status_only = path.subresource == "status";
  FakeKubeReply reply;
  if (verb == "get") {
    reply = store_.Get(*res, path.ns, path.name);
  } else if (verb == "list") {
    reply = store_.List(*res, path.ns,
                        {request.Query("labelSelector"), request.Query("fieldSelector")});
  } else if (verb == "create") {
    reply = store_.Create(*res, path.ns, body);
  } else if (verb == "update") {
    reply = store_.Update(*res, path.ns, path.name, body, status_only);
  } else if (verb == "delete") {
    reply = store_.Delete(*res, path.ns, path.name, body);
  } else if (verb == "patch") {
    const std::string type = request.Header("Content-Type");
    if (type.starts_with("application/merge-patch+json")) {
      reply = store_.Patch(*res, path.ns, path.name, FakePatchType::kMerge, body, status_only);
    } else if (type.starts_with("application/json-patch+json")) {
      reply = store_.Patch(*res, path.ns, path.name, FakePatchType::kJson, body, status_only);
    } else if (type.starts_with("application/strategic-merge-patch+json") && res->group.empty()) {
      reply =
          store_.Patch(*res, path.ns, path.name, FakePatchType::kStrategicMerge, body, status_only);
    } else {
      reply = StatusReply(415, "UnsupportedMediaType",
                          "the body of the request was in an unknown format - accepted media "
                          "types include: application/json-patch+json, "
                          "application/merge-patch+json");
    }
  } else {
    reply = StatusReply(405, "MethodNotAllowed", "the server does not allow this method");
  }
  return WriteFakeKubeReply(stream, reply);
}

bool FakeKubeApi::StreamWatch(FakeKubeRequest& request, k8s::NetStream& stream) {
  ResourcePath path;
  ParseResourcePath(request.path, &path);
  const FakeKubeResource* res = FindResource(path.group, path.plural);
  if (request.QueryFlag("sendInitialEvents")) {
    // The WatchList feature is not implemented: refuse it so clients fall back to list+watch
    // instead of waiting for the initial-events-end bookmark.
    return WriteFakeKubeReply(
        stream, StatusReply(400, "BadRequest",
                            "sendInitialEvents is forbidden for watch unless the WatchList "
                            "feature gate is enabled"));
  }
  FakeKubeStore::WatchOptions options;
  options.from_version = request.Query("resourceVersion");
  options.selectors = {request.Query("labelSelector"), request.Query("fieldSelector")};
  options.bookmarks = request.QueryFlag("allowWatchBookmarks");
  options.bookmark_every = options_.bookmark_every;
  const std::string timeout = request.Query("timeoutSeconds");
  options.deadline = std::chrono::steady_clock::now() +
                     std::chrono::seconds(timeout.empty() ? 1800 : std::stoi(timeout));
  {
    std::lock_guard lock(mu_);
    if (faults_.count(FakeKubeFault::kWatchNeverExpires) != 0 && !options.from_version.empty() &&
        options.from_version != "0") {
      options.from_version = std::to_string(store_.resource_version());
    }
  }
  const std::string head =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nCache-Control: no-cache, "
      "private\r\nTransfer-Encoding: chunked\r\n\r\n";
  if (!stream.WriteAll(core::AsBytes(head)).ok()) {
    return false;
  }
  bool alive = true;
  store_.Watch(
      *res, path.ns, options,
      [&](const FakeWatchEvent& event) {
        std::ostringstream chunk;
        const std::string line = json{{"type", event.type}, {"object", event.object}}.dump() + "\n";
        chunk << std::hex << line.size() << "\r\n" << line << "\r\n";
        alive = stream.WriteAll(core::AsBytes(chunk.str())).ok();
        return alive;
      },
      [&] { return stopping_.load() || !alive; });
  return alive && stream.WriteAll(core::AsBytes(std::string("0\r\n\r\n"))).ok();
}

bool FakeKubeApi::HandleExec(FakeKubeRequest& request, k8s::NetStream& stream,
                             k8s::BufferedReader& reader) {
  ResourcePath path;
  ParseResourcePath(request.path, &path);
  const FakeKubeResource* pods = FindResource("", "pods");
  FakeKubeReply pod = store_.Get(*pods, path.ns, path.name);
  if (pod.code != 200) {
    return WriteFakeKubeReply(stream, pod);
  }
  FakeExecRequest exec;
  exec.command = request.QueryAll("command");
  exec.container = request.Query("container");
  exec.stdin = request.QueryFlag("stdin");
  exec.stdout = request.QueryFlag("stdout");
  exec.stderr = request.QueryFlag("stderr");
  const json containers = pod.body.value("spec", json::object()).value("containers", json::array());
  if (exec.container.empty() && containers.size() > 1) {
    return WriteFakeKubeReply(
        stream,
        StatusReply(400, "BadRequest", "a container name must be specified for pod " + path.name));
  }
  if (exec.command.empty()) {
    return WriteFakeKubeReply(
        stream, StatusReply(400, "BadRequest", "you must specify at least 1 command"));
  }
  return ServeExec(request, stream, reader, exec, path.ns + "/" + path.name, {"v4.channel.k8s.io"});
}

bool FakeKubeApi::ServeExec(FakeKubeRequest& request, k8s::NetStream& stream,
                            k8s::BufferedReader& reader, FakeExecRequest exec,
                            const std::string& pod_key,
                            const std::vector<std::string>& spdy_protocols) {
  // kubectl before 1.30 (Debian 12 ships 1.20) upgrades to SPDY/3.1 and offers its stream
  // protocols in X-Stream-Protocol-Version lines; newer clients upgrade to WebSocket.
  const bool spdy = ::strcasecmp(request.Header("Upgrade").c_str(), "SPDY/3.1") == 0;
  const std::vector<std::string> offered =
      request.HeaderValues(spdy ? "X-Stream-Protocol-Version" : "Sec-WebSocket-Protocol");
  const std::vector<std::string> served = spdy ? spdy_protocols : options_.exec_protocols;
  for (const auto& wanted : served) {
    if (exec.protocol.empty() &&
        std::find(offered.begin(), offered.end(), wanted) != offered.end()) {
      exec.protocol = wanted;
    }
  }
  if (request.Header("Upgrade").empty() || exec.protocol.empty()) {
    return WriteFakeKubeReply(
        stream, StatusReply(400, "BadRequest",
                            "pod exec needs a WebSocket upgrade with one of the subprotocols "
                            "v5.channel.k8s.io, v4.channel.k8s.io or a SPDY/3.1 upgrade with "
                            "v4.channel.k8s.io"));
  }
  FakePodExecutor executor;
  FakeExecFault fault = FakeExecFault::kNone;
  {
    std::lock_guard lock(mu_);
    exec_commands_.push_back(exec.command);
    exec_transports_.push_back(spdy ? FakeExecTransportKind::kSpdy
                                    : FakeExecTransportKind::kWebSocket);
    auto it = executors_.find(pod_key);
    if (it != executors_.end()) {
      executor = it->second;
    }
    if (faults_.count(FakeKubeFault::kExecOmitsStatus) != 0) {
      fault = FakeExecFault::kOmitStatus;
    }
  }
  FakePodProcess process = executor ? executor(exec.command, exec.container)
                                    : FakePodProcess{exec.command, {}, {}, {}, {}};
  const std::string head =
      spdy ? "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: "
             "SPDY/3.1\r\nX-Stream-Protocol-Version: " +
                 exec.protocol + "\r\n\r\n"
           : "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: "
             "Upgrade\r\nSec-WebSocket-Accept: " +
                 k8s::WsAcceptFor(request.Header("Sec-WebSocket-Key")) +
                 "\r\nSec-WebSocket-Protocol: " + exec.protocol + "\r\n\r\n";
  if (!stream.WriteAll(core::AsBytes(head)).ok()) {
    return false;
  }
  if (spdy) {
    RunFakeSpdyExecSession(stream, reader, exec, process, fault);
  } else {
    RunFakeExecSession(stream, reader, exec, process, fault);
  }
  return false;  // the upgraded connection ends with the session
}

bool FakeKubeApi::HandlePortForward(FakeKubeRequest& request, k8s::NetStream& stream,
                                    k8s::BufferedReader& reader) {
  ResourcePath path;
  ParseResourcePath(request.path, &path);
  FakeKubeReply pod = store_.Get(*FindResource("", "pods"), path.ns, path.name);
  if (pod.code != 200) {
    return WriteFakeKubeReply(stream, pod);
  }
  const std::vector<std::string> ports = request.QueryAll("ports");
  // One port per session: the kubelet numbers channels per port, HASteward asks for one.
  if (ports.size() != 1 || ports[0].find(',') != std::string::npos ||
      std::atoi(ports[0].c_str()) <= 0 || std::atoi(ports[0].c_str()) > 0xFFFF) {
    return WriteFakeKubeReply(
        stream, StatusReply(400, "BadRequest", "this fake forwards exactly one valid port"));
  }
  const std::string pod_ip = pod.body.value("status", json::object()).value("podIP", "");
  if (pod_ip.empty()) {
    return WriteFakeKubeReply(
        stream, StatusReply(400, "BadRequest",
                            "pod " + path.name + " does not have an IP address assigned"));
  }
  const std::vector<std::string> offered = request.HeaderValues("Sec-WebSocket-Protocol");
  if (request.Header("Upgrade").empty() ||
      std::find(offered.begin(), offered.end(), "v4.channel.k8s.io") == offered.end()) {
    return WriteFakeKubeReply(
        stream, StatusReply(400, "BadRequest",
                            "pod port-forward needs a WebSocket upgrade with the subprotocol "
                            "v4.channel.k8s.io"));
  }
  bool wrong_port_prefix = false;
  {
    std::lock_guard lock(mu_);
    ++port_forwards_;
    wrong_port_prefix = faults_.count(FakeKubeFault::kPortForwardWrongPortPrefix) != 0;
  }
  const std::string head =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: "
      "Upgrade\r\nSec-WebSocket-Accept: " +
      k8s::WsAcceptFor(request.Header("Sec-WebSocket-Key")) +
      "\r\nSec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n";
  if (!stream.WriteAll(core::AsBytes(head)).ok()) {
    return false;
  }
  RunFakePortForwardSession(stream, reader,
                            {path.name, pod_ip, std::atoi(ports[0].c_str()), wrong_port_prefix});
  return false;  // the upgraded connection ends with the session
}

}  // namespace hasteward::testing
