#include "support/rest_test_server.h"

#include <filesystem>
#include <regex>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fd.h"
#include "core/temp_dir.h"
#include "storage/s3/sigv4.h"

namespace hasteward::testing {
namespace {

namespace fs = std::filesystem;

const char* kTypes[] = {"data", "keys", "locks", "snapshots", "index"};

std::string StatusText(int status) {
  switch (status) {
    case 200: return "OK";
    case 206: return "Partial Content";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 416: return "Range Not Satisfiable";
    default: return "Error";
  }
}

}  // namespace

core::Result<std::unique_ptr<RestTestServer>> RestTestServer::Start(const std::string& root) {
  std::unique_ptr<RestTestServer> s(new RestTestServer(root));
  HS_ASSIGN_OR_RETURN(s->server_,
                      LoopbackServer::Start([raw = s.get()](HttpConn& c) { raw->Serve(c); }));
  return s;
}

std::string RestTestServer::Location(const std::string& path) const {
  return "rest:http://127.0.0.1:" + std::to_string(port()) + "/" + path;
}

void RestTestServer::Serve(HttpConn& conn) {
  for (;;) {
    std::string raw;
    HttpHead head;
    if (!conn.ReadHead(&raw) || !ParseHead(raw, &head))
      return;
    std::string body;
    if (!conn.ReadBody(head, false, false, &body))
      return;  // a cut-off upload stores nothing
    ++requests_;
    Response r = Handle(head, body);
    uint64_t len = head.method == "HEAD" ? r.content_length : r.body.size();
    std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + StatusText(r.status) +
                      "\r\nContent-Length: " + std::to_string(len) + "\r\n";
    if (!r.content_type.empty())
      out += "Content-Type: " + r.content_type + "\r\n";
    out += "\r\n";
    if (head.method != "HEAD")
      out += r.body;
    if (!conn.Write(out))
      return;
  }
}

RestTestServer::Response RestTestServer::Handle(const HttpHead& head, const std::string& body) {
  static const std::regex kObject(R"(^(.*/)(data|keys|locks|snapshots|index)/([0-9a-f]{64})$)");
  static const std::regex kListing(R"(^(.*/)(data|keys|locks|snapshots|index)/?$)");
  static const std::regex kConfig(R"(^(.*/)config$)");
  if (outage_)
    return {503, "", "repository down (test outage)\n"};
  std::string target = head.target;
  std::string query;
  if (auto q = target.find('?'); q != std::string::npos) {
    query = target.substr(q + 1);
    target = target.substr(0, q);
  }
  if (target.find("..") != std::string::npos)
    return {400, "", "bad path\n"};
  std::smatch m;
  if (head.method == "POST" && query == "create=true")
    return Create(root_ + target);
  if (std::regex_match(target, m, kConfig)) {
    std::string file = root_ + m[1].str() + "config";
    if (head.method == "POST")
      return Post(file, "", body);
    if (head.method == "DELETE")
      return append_only_ ? Response{403, "", "append-only\n"}
                          : Response{fs::remove(file) ? 200 : 404, "", ""};
    return Get(file, head, head.method == "HEAD");
  }
  if (std::regex_match(target, m, kObject)) {
    std::string id = m[3].str();
    std::string dir = root_ + m[1].str() + m[2].str();
    std::string file = dir + "/" + (m[2] == "data" ? id.substr(0, 2) + "/" : "") + id;
    if (head.method == "POST")
      return Post(file, id, body);
    if (head.method == "DELETE" && append_only_ && m[2] != "locks")
      return {403, "", "append-only\n"};
    if (head.method == "DELETE")
      return {fs::remove(file) ? 200 : 404, "", ""};
    return Get(file, head, head.method == "HEAD");
  }
  if (head.method == "GET" && std::regex_match(target, m, kListing)) {
    return List(root_ + m[1].str() + m[2].str(), m[2].str(),
                head.Get("accept").find("application/vnd.x.restic.rest.v2") != std::string::npos);
  }
  return {404, "", "not found\n"};
}

RestTestServer::Response RestTestServer::Create(const std::string& repo) {
  std::error_code ec;
  for (const char* t : kTypes)
    fs::create_directories(repo + "/" + t, ec);
  for (int i = 0; i < 256 && !ec; ++i) {
    char sub[3];
    std::snprintf(sub, sizeof(sub), "%02x", i);
    fs::create_directories(repo + "/data/" + sub, ec);
  }
  if (ec)
    return {500, "", ec.message() + "\n"};
  return {200, "", ""};
}

RestTestServer::Response RestTestServer::List(const std::string& dir, const std::string& type,
                                              bool v2) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return {404, "", "not found\n"};
  std::string out = "[";
  auto add = [&](const fs::directory_entry& e) {
    if (!e.is_regular_file() || e.path().filename().string().find(".tmp") != std::string::npos)
      return;
    if (out.size() > 1)
      out += ",";
    std::string name = e.path().filename().string();
    out += v2 ? R"({"name":")" + name + R"(","size":)" + std::to_string(e.file_size()) + "}"
              : "\"" + name + "\"";
  };
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (type == "data" && e.is_directory()) {
      for (const auto& f : fs::directory_iterator(e.path(), ec))
        add(f);
    } else {
      add(e);
    }
  }
  if (ec)
    return {500, "", ec.message() + "\n"};
  return {200, v2 ? "application/vnd.x.restic.rest.v2" : "application/vnd.x.restic.rest.v1",
          out + "]"};
}

RestTestServer::Response RestTestServer::Get(const std::string& file, const HttpHead& head,
                                             bool head_only) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec))
    return {404, "", "not found\n"};
  uint64_t size = fs::file_size(file, ec);
  if (head_only)
    return {200, "application/octet-stream", "", size};
  auto data = core::ReadFileToString(file);
  if (!data.ok())
    return {500, "", data.status().message()};
  std::string range = head.Get("range");
  if (range.rfind("bytes=", 0) != 0)
    return {200, "application/octet-stream", *data};
  uint64_t from = std::stoull(range.substr(6));
  auto dash = range.find('-');
  uint64_t to = dash + 1 < range.size() ? std::stoull(range.substr(dash + 1)) : size - 1;
  if (from >= size)
    return {416, "", ""};
  to = std::min<uint64_t>(to, size - 1);
  return {206, "application/octet-stream", data->substr(from, to - from + 1)};
}

RestTestServer::Response RestTestServer::Post(const std::string& file, const std::string& id,
                                              const std::string& body) {
  if (!id.empty() && storage::s3::Sha256Hex(core::AsBytes(body)) != id)
    return {400, "", "hash mismatch\n"};
  std::error_code ec;
  if (fs::exists(file, ec))
    return {403, "", "object exists\n"};
  fs::create_directories(fs::path(file).parent_path(), ec);
  std::string tmp = file + ".tmp" + std::to_string(::gettid());
  core::UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd.valid() || !core::WriteAll(fd.get(), core::AsBytes(body)).ok() ||
      ::fsync(fd.get()) != 0) {
    fs::remove(tmp, ec);
    return {500, "", "write failed\n"};
  }
  fd.Reset();
  if (::link(tmp.c_str(), file.c_str()) != 0) {  // link is O_EXCL-like: never replaces
    fs::remove(tmp, ec);
    return {403, "", "object exists\n"};
  }
  fs::remove(tmp, ec);
  return {200, "", ""};
}

}  // namespace hasteward::testing
