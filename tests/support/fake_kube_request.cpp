#include "support/fake_kube_request.h"

#include <algorithm>
#include <sstream>

#include "support/http_wire.h"

namespace hasteward::testing {

FakeKubeReply StatusReply(int code, const std::string& reason, const std::string& message) {
  return {code,
          {{"kind", "Status"},
           {"apiVersion", "v1"},
           {"metadata", nlohmann::json::object()},
           {"status", "Failure"},
           {"message", message},
           {"reason", reason},
           {"code", code}}};
}
namespace {

std::string UrlDecode(const std::string& text) {
  std::string out;
  for (size_t index = 0; index < text.size(); ++index) {
    if (text[index] == '%' && index + 2 < text.size()) {
      out += static_cast<char>(std::stoi(text.substr(index + 1, 2), nullptr, 16));
      index += 2;
    } else {
      out += text[index] == '+' ? ' ' : text[index];
    }
  }
  return out;
}

const char* ReasonPhrase(int code) {
  switch (code) {
    case 200: return "OK";
    case 201: return "Created";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    default: return "Error";
  }
}

}  // namespace

std::string FakeKubeRequest::Query(const std::string& name) const {
  for (const auto& [key, value] : query) {
    if (key == name) {
      return value;
    }
  }
  return "";
}

std::vector<std::string> FakeKubeRequest::QueryAll(const std::string& name) const {
  std::vector<std::string> values;
  for (const auto& [key, value] : query) {
    if (key == name) {
      values.push_back(value);
    }
  }
  return values;
}

bool FakeKubeRequest::QueryFlag(const std::string& name) const {
  // Go's strconv.ParseBool, as the API server parses query flags (python sends "True").
  const std::string value = Query(name);
  return value == "1" || value == "t" || value == "T" || value == "true" || value == "TRUE" ||
         value == "True";
}

std::string FakeKubeRequest::Header(const std::string& name) const {
  for (const auto& [key, value] : headers) {
    if (IEquals(key, name)) {
      return value;
    }
  }
  return "";
}

std::vector<std::string> FakeKubeRequest::HeaderValues(const std::string& name) const {
  std::vector<std::string> values;
  for (const auto& [key, value] : headers) {
    if (!IEquals(key, name)) {
      continue;
    }
    std::stringstream items(value);
    for (std::string item; std::getline(items, item, ',');) {
      item.erase(0, item.find_first_not_of(' '));
      item.erase(item.find_last_not_of(' ') + 1);
      values.push_back(item);
    }
  }
  return values;
}

core::Result<FakeKubeRequest> ReadFakeKubeRequest(platform::kubernetes::BufferedReader& reader) {
  HS_ASSIGN_OR_RETURN(std::string head, reader.ReadHead());
  std::istringstream lines(head);
  std::string line;
  std::getline(lines, line);
  FakeKubeRequest request;
  std::string target;
  std::istringstream start(line);
  start >> request.method >> target;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      request.headers.emplace_back(line.substr(0, colon),
                                   line.substr(line.find_first_not_of(" \t", colon + 1)));
    }
  }
  size_t question = target.find('?');
  request.path = UrlDecode(target.substr(0, question));
  if (question != std::string::npos) {
    std::stringstream pairs(target.substr(question + 1));
    std::string pair;
    while (std::getline(pairs, pair, '&')) {
      size_t equals = pair.find('=');
      request.query.emplace_back(
          UrlDecode(pair.substr(0, equals)),
          equals == std::string::npos ? "" : UrlDecode(pair.substr(equals + 1)));
    }
  }
  core::Bytes body;
  if (IEquals(request.Header("Transfer-Encoding"), "chunked")) {
    for (;;) {
      HS_ASSIGN_OR_RETURN(std::string size_line, reader.ReadLine());
      size_t size = std::stoul(size_line, nullptr, 16);
      if (size == 0) {
        HS_ASSIGN_OR_RETURN(std::string trailer, reader.ReadLine());
        break;
      }
      HS_TRY(reader.ReadExact(size, &body));
      HS_ASSIGN_OR_RETURN(std::string crlf, reader.ReadLine());
    }
  } else if (std::string length = request.Header("Content-Length"); !length.empty()) {
    HS_TRY(reader.ReadExact(std::stoul(length), &body));
  }
  request.body = core::AsString(body);
  return request;
}

bool WriteFakeKubeReply(platform::kubernetes::NetStream& stream, const FakeKubeReply& reply) {
  const std::string body = reply.body.dump();
  const std::string head = "HTTP/1.1 " + std::to_string(reply.code) + " " +
                           ReasonPhrase(reply.code) +
                           "\r\nContent-Type: application/json\r\nCache-Control: no-cache, "
                           "private\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\n\r\n";
  return stream.WriteAll(core::AsBytes(head + body)).ok();
}

}  // namespace hasteward::testing
