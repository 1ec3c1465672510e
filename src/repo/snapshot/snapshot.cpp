#include "repo/snapshot/snapshot.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace hasteward::repo {

namespace {

std::string JsonStringList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0)
      out += ',';
    out += GoJsonString(items[i]);
  }
  return out + "]";
}

std::string EncodeNode(const Node& n) {
  std::string out = "{\"name\":" + GoJsonString(GoQuoteName(n.name));
  out += ",\"type\":" + GoJsonString(n.type);
  if (n.mode != 0)
    out += ",\"mode\":" + std::to_string(n.mode);
  out += ",\"mtime\":" + GoJsonString(n.mtime.Format());
  out += ",\"atime\":" + GoJsonString(n.atime.Format());
  out += ",\"ctime\":" + GoJsonString(n.ctime.Format());
  out += ",\"uid\":" + std::to_string(n.uid) + ",\"gid\":" + std::to_string(n.gid);
  if (!n.user.empty())
    out += ",\"user\":" + GoJsonString(n.user);
  if (!n.group.empty())
    out += ",\"group\":" + GoJsonString(n.group);
  if (n.size != 0)
    out += ",\"size\":" + std::to_string(n.size);
  if (!n.linktarget.empty())
    out += ",\"linktarget\":" + GoJsonString(n.linktarget);
  if (n.type == "file") {
    out += ",\"content\":[";
    for (size_t i = 0; i < n.content.size(); ++i) {
      if (i > 0)
        out += ',';
      out += '"' + IdToHex(n.content[i]) + '"';
    }
    out += "]";
  } else {
    out += ",\"content\":null";
  }
  if (n.subtree)
    out += ",\"subtree\":\"" + IdToHex(*n.subtree) + "\"";
  return out + "}";
}

core::Result<GoTime> TimeField(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_string()) {
    return GoTime{};
  }
  return ParseGoTime(j[key].get<std::string>());
}

}  // namespace

uint32_t GoModeFromPosix(uint32_t posix_permissions) {
  uint32_t mode = posix_permissions & 0777;
  if ((posix_permissions & 04000) != 0)
    mode |= kGoModeSetuid;
  if ((posix_permissions & 02000) != 0)
    mode |= kGoModeSetgid;
  if ((posix_permissions & 01000) != 0)
    mode |= kGoModeSticky;
  return mode;
}

uint32_t PosixFromGoMode(uint32_t go_mode) {
  uint32_t mode = go_mode & 0777;
  if ((go_mode & kGoModeSetuid) != 0)
    mode |= 04000;
  if ((go_mode & kGoModeSetgid) != 0)
    mode |= 02000;
  if ((go_mode & kGoModeSticky) != 0)
    mode |= 01000;
  return mode;
}

std::string Snapshot::TagValue(const std::string& key) const {
  std::string prefix = key + "=";
  for (const auto& t : tags) {
    if (t.rfind(prefix, 0) == 0)
      return t.substr(prefix.size());
  }
  return "";
}

bool Snapshot::HasTag(const std::string& tag) const {
  return std::find(tags.begin(), tags.end(), tag) != tags.end();
}

std::string EncodeSnapshotJson(const Snapshot& s) {
  std::string out = "{\"time\":" + GoJsonString(s.time.Format());
  if (s.parent)
    out += ",\"parent\":\"" + IdToHex(*s.parent) + "\"";
  out += ",\"tree\":\"" + IdToHex(s.tree) + "\"";
  out += ",\"paths\":" + JsonStringList(s.paths);
  if (!s.hostname.empty())
    out += ",\"hostname\":" + GoJsonString(s.hostname);
  if (!s.username.empty())
    out += ",\"username\":" + GoJsonString(s.username);
  if (s.uid != 0)
    out += ",\"uid\":" + std::to_string(s.uid);
  if (s.gid != 0)
    out += ",\"gid\":" + std::to_string(s.gid);
  if (!s.excludes.empty())
    out += ",\"excludes\":" + JsonStringList(s.excludes);
  if (!s.tags.empty())
    out += ",\"tags\":" + JsonStringList(s.tags);
  if (s.original)
    out += ",\"original\":\"" + IdToHex(*s.original) + "\"";
  if (s.backup_start && s.backup_end) {
    out += ",\"summary\":{\"backup_start\":" + GoJsonString(s.backup_start->Format()) +
           ",\"backup_end\":" + GoJsonString(s.backup_end->Format()) + "}";
  }
  return out + "}";
}

core::Result<Snapshot> ParseSnapshotJson(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return core::Corruption("snapshot is not a JSON object");
  }
  Snapshot s;
  try {
    HS_ASSIGN_OR_RETURN(s.time, TimeField(j, "time"));
    HS_ASSIGN_OR_RETURN(s.tree, IdFromHex(j.at("tree").get<std::string>()));
    if (j.contains("parent") && j["parent"].is_string()) {
      HS_ASSIGN_OR_RETURN(s.parent, IdFromHex(j["parent"].get<std::string>()));
    }
    if (j.contains("original") && j["original"].is_string()) {
      HS_ASSIGN_OR_RETURN(s.original, IdFromHex(j["original"].get<std::string>()));
    }
    auto strings = [&j](const char* key) {
      std::vector<std::string> v;
      if (j.contains(key) && j[key].is_array()) {
        for (const auto& e : j[key])
          v.push_back(e.get<std::string>());
      }
      return v;
    };
    s.paths = strings("paths");
    s.excludes = strings("excludes");
    s.tags = strings("tags");
    s.hostname = j.value("hostname", "");
    s.username = j.value("username", "");
    s.uid = j.value("uid", uint32_t{0});
    s.gid = j.value("gid", uint32_t{0});
    if (j.contains("summary") && j["summary"].is_object()) {
      const nlohmann::json& summary = j["summary"];
      if (summary.contains("backup_start") && summary.contains("backup_end")) {
        HS_ASSIGN_OR_RETURN(s.backup_start, TimeField(summary, "backup_start"));
        HS_ASSIGN_OR_RETURN(s.backup_end, TimeField(summary, "backup_end"));
      }
    }
  } catch (const nlohmann::json::exception& e) {
    return core::Corruption(std::string("snapshot is malformed: ") + e.what());
  }
  return s;
}

std::string EncodeTreeJson(std::vector<Node> nodes) {
  std::sort(nodes.begin(), nodes.end(),
            [](const Node& a, const Node& b) { return a.name < b.name; });
  std::string out = "{\"nodes\":[";
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (i > 0)
      out += ',';
    out += EncodeNode(nodes[i]);
  }
  return out + "]}\n";
}

core::Result<std::vector<Node>> ParseTreeJson(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("nodes")) {
    return core::Corruption("tree is not valid JSON");
  }
  std::vector<Node> nodes;
  try {
    if (j["nodes"].is_null())
      return nodes;
    for (const auto& n : j["nodes"]) {
      Node node;
      HS_ASSIGN_OR_RETURN(node.name, GoUnquoteName(n.at("name").get<std::string>()));
      node.type = n.at("type").get<std::string>();
      node.mode = n.value("mode", uint32_t{0});
      node.uid = n.value("uid", uint32_t{0});
      node.gid = n.value("gid", uint32_t{0});
      node.size = n.value("size", uint64_t{0});
      node.user = n.value("user", "");
      node.group = n.value("group", "");
      node.linktarget = n.value("linktarget", "");
      HS_ASSIGN_OR_RETURN(node.mtime, TimeField(n, "mtime"));
      if (n.contains("content") && n["content"].is_array()) {
        for (const auto& c : n["content"]) {
          HS_ASSIGN_OR_RETURN(Id id, IdFromHex(c.get<std::string>()));
          node.content.push_back(id);
        }
      }
      if (n.contains("subtree") && n["subtree"].is_string()) {
        HS_ASSIGN_OR_RETURN(node.subtree, IdFromHex(n["subtree"].get<std::string>()));
      }
      nodes.push_back(std::move(node));
    }
  } catch (const nlohmann::json::exception& e) {
    return core::Corruption(std::string("tree is malformed: ") + e.what());
  }
  return nodes;
}

}  // namespace hasteward::repo
