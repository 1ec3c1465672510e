// One HTTP request to the test node's kubelet (KubeletAgent), parsed: method, path, decoded query,
// headers and body; plus its response writers.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "platform/kubernetes/net_stream.h"
namespace hasteward::testing {

// An HTTP status and its JSON body (a metav1.Status for errors).
struct FakeKubeReply {
  int code = 200;
  nlohmann::json body;
};

// metav1.Status for an error: {"kind":"Status","status":"Failure","reason":...,"code":...}.
FakeKubeReply StatusReply(int code, const std::string& reason, const std::string& message);

struct FakeKubeRequest {
  std::string method;
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  std::string Query(const std::string& name) const;  // first value or ""
  std::vector<std::string> QueryAll(const std::string& name) const;
  bool QueryFlag(const std::string& name) const;      // true, True, 1, t ... (Go ParseBool)
  std::string Header(const std::string& name) const;  // case-insensitive, first value or ""
  // Every value of a header that may repeat or list values: all its lines, split at commas,
  // trimmed.
  std::vector<std::string> HeaderValues(const std::string& name) const;
};

// Reads and parses the next request on a connection (head and body). An error ends the
// connection.
core::Result<FakeKubeRequest> ReadFakeKubeRequest(platform::kubernetes::BufferedReader& reader);

// Writes a JSON response with Content-Length (the connection stays open).
bool WriteFakeKubeReply(platform::kubernetes::NetStream& stream, const FakeKubeReply& reply);

}  // namespace hasteward::testing
