#include "platform/local/inventory.h"

#include <filesystem>
#include <set>

#include <yaml-cpp/yaml.h>

#include "core/atomic_file.h"
#include "core/fd.h"
#include "core/temp_dir.h"

namespace hasteward::platform {

namespace {

// yaml-cpp reports errors by exception; they are caught here and become kUsage.
struct InventoryError {
  std::string message;
  YAML::Mark mark;
};

std::string Where(const std::string& source, const YAML::Mark& mark) {
  if (mark.line < 0) {
    return "inventory '" + source + "'";
  }
  return "inventory '" + source + "' line " + std::to_string(mark.line + 1);
}

void CheckKeys(const YAML::Node& node, const std::set<std::string>& allowed, const char* what) {
  if (!node.IsMap()) {
    throw InventoryError{std::string(what) + " must be a mapping", node.Mark()};
  }
  for (const auto& kv : node) {
    auto key = kv.first.as<std::string>();
    if (allowed.count(key) == 0) {
      throw InventoryError{"unknown key '" + key + "' in " + what, kv.first.Mark()};
    }
  }
}

std::string Str(const YAML::Node& node, const char* key, const std::string& fallback = "") {
  const YAML::Node v = node[key];
  return v ? v.as<std::string>() : fallback;
}

std::vector<std::string> Argv(const YAML::Node& node, const char* key) {
  std::vector<std::string> out;
  const YAML::Node v = node[key];
  if (!v) {
    return out;
  }
  if (!v.IsSequence()) {
    throw InventoryError{std::string("'") + key + "' must be a list of arguments", v.Mark()};
  }
  for (const auto& a : v) {
    out.push_back(a.as<std::string>());
  }
  return out;
}

std::map<std::string, std::string> StrMap(const YAML::Node& node, const char* key) {
  std::map<std::string, std::string> out;
  const YAML::Node v = node[key];
  if (!v) {
    return out;
  }
  if (!v.IsMap()) {
    throw InventoryError{std::string("'") + key + "' must be a mapping", v.Mark()};
  }
  for (const auto& kv : v) {
    out[kv.first.as<std::string>()] = kv.second.as<std::string>();
  }
  return out;
}

Credentials ParseCredentials(const YAML::Node& node, const char* what) {
  Credentials c;
  if (!node) {
    return c;
  }
  CheckKeys(node, {"user", "passwordFile", "passwordEnv"}, what);
  c.user = Str(node, "user");
  c.password.file = Str(node, "passwordFile");
  c.password.env = Str(node, "passwordEnv");
  if (!c.password.file.empty() && !c.password.env.empty()) {
    throw InventoryError{std::string(what) + " gives both passwordFile and passwordEnv",
                         node.Mark()};
  }
  return c;
}

Instance ParseInstance(const YAML::Node& node) {
  CheckKeys(node,
            {"name", "ordinal", "host", "port", "socket", "dataDir", "osUser", "binDir",
             "configFile", "logFile", "start", "stop", "labels"},
            "instance");
  Instance i;
  i.name = Str(node, "name");
  if (i.name.empty()) {
    throw InventoryError{"instance without a name", node.Mark()};
  }
  i.ordinal = node["ordinal"] ? node["ordinal"].as<int>() : 0;
  i.host = Str(node, "host", "127.0.0.1");
  i.port = node["port"] ? node["port"].as<int>() : 0;
  i.socket = Str(node, "socket");
  i.data_dir = Str(node, "dataDir");
  i.os_user = Str(node, "osUser");
  i.bin_dir = Str(node, "binDir");
  i.config_file = Str(node, "configFile");
  i.log_file = Str(node, "logFile");
  i.start_command = Argv(node, "start");
  i.stop_command = Argv(node, "stop");
  i.labels = StrMap(node, "labels");
  return i;
}

Cluster ParseCluster(const YAML::Node& node) {
  CheckKeys(node,
            {"name", "namespace", "engine", "credentials", "replication", "options", "annotations",
             "instances"},
            "cluster");
  Cluster c;
  c.name = Str(node, "name");
  if (c.name.empty()) {
    throw InventoryError{"cluster without a name", node.Mark()};
  }
  c.ns = Str(node, "namespace", "default");
  auto engine = ParseEngineKind(Str(node, "engine"));
  if (!engine.ok()) {
    throw InventoryError{"cluster '" + c.name + "': " + engine.status().message(), node.Mark()};
  }
  c.engine = *engine;
  c.credentials = ParseCredentials(node["credentials"], "credentials");
  c.replication = ParseCredentials(node["replication"], "replication");
  c.options = StrMap(node, "options");
  c.annotations = StrMap(node, "annotations");
  std::set<int> ordinals;
  if (node["instances"] && !node["instances"].IsSequence()) {
    throw InventoryError{"'instances' must be a list", node["instances"].Mark()};
  }
  for (const auto& in : node["instances"]) {
    c.instances.push_back(ParseInstance(in));
    if (!ordinals.insert(c.instances.back().ordinal).second) {
      throw InventoryError{"cluster '" + c.name + "' has two instances with ordinal " +
                               std::to_string(c.instances.back().ordinal),
                           in.Mark()};
    }
  }
  return c;
}

std::vector<Cluster> ParseRoot(const YAML::Node& root) {
  std::vector<Cluster> out;
  if (!root || root.IsNull()) {
    return out;
  }
  CheckKeys(root, {"version", "clusters"}, "inventory");
  if (root["version"] && root["version"].as<int>() != 1) {
    throw InventoryError{"unsupported inventory version " + root["version"].as<std::string>(),
                         root["version"].Mark()};
  }
  std::set<std::pair<std::string, std::string>> seen;
  if (root["clusters"] && !root["clusters"].IsSequence()) {
    throw InventoryError{"'clusters' must be a list", root["clusters"].Mark()};
  }
  for (const auto& node : root["clusters"]) {
    out.push_back(ParseCluster(node));
    if (!seen.insert({out.back().ns, out.back().name}).second) {
      throw InventoryError{
          "cluster '" + out.back().ns + "/" + out.back().name + "' is listed twice", node.Mark()};
    }
  }
  return out;
}

void EmitCredentials(YAML::Emitter& y, const char* key, const Credentials& c) {
  if (c.user.empty() && c.password.empty()) {
    return;
  }
  y << YAML::Key << key << YAML::Value << YAML::BeginMap;
  y << YAML::Key << "user" << YAML::Value << c.user;
  if (!c.password.file.empty())
    y << YAML::Key << "passwordFile" << YAML::Value << c.password.file;
  if (!c.password.env.empty())
    y << YAML::Key << "passwordEnv" << YAML::Value << c.password.env;
  y << YAML::EndMap;
}

void EmitOptional(YAML::Emitter& y, const char* key, const std::string& v) {
  if (!v.empty()) {
    y << YAML::Key << key << YAML::Value << v;
  }
}

void EmitArgv(YAML::Emitter& y, const char* key, const std::vector<std::string>& argv) {
  if (!argv.empty()) {
    y << YAML::Key << key << YAML::Value << YAML::Flow << argv;
  }
}

void EmitMap(YAML::Emitter& y, const char* key, const std::map<std::string, std::string>& m) {
  if (!m.empty()) {
    y << YAML::Key << key << YAML::Value << YAML::BeginMap;
    for (const auto& [k, v] : m)
      y << YAML::Key << k << YAML::Value << v;
    y << YAML::EndMap;
  }
}

void EmitInstance(YAML::Emitter& y, const Instance& i) {
  y << YAML::BeginMap;
  y << YAML::Key << "name" << YAML::Value << i.name;
  y << YAML::Key << "ordinal" << YAML::Value << i.ordinal;
  y << YAML::Key << "host" << YAML::Value << i.host;
  y << YAML::Key << "port" << YAML::Value << i.port;
  EmitOptional(y, "socket", i.socket);
  EmitOptional(y, "dataDir", i.data_dir);
  EmitOptional(y, "osUser", i.os_user);
  EmitOptional(y, "binDir", i.bin_dir);
  EmitOptional(y, "configFile", i.config_file);
  EmitOptional(y, "logFile", i.log_file);
  EmitArgv(y, "start", i.start_command);
  EmitArgv(y, "stop", i.stop_command);
  EmitMap(y, "labels", i.labels);
  y << YAML::EndMap;
}

void EmitCluster(YAML::Emitter& y, const Cluster& c) {
  y << YAML::BeginMap;
  y << YAML::Key << "name" << YAML::Value << c.name;
  y << YAML::Key << "namespace" << YAML::Value << c.ns;
  y << YAML::Key << "engine" << YAML::Value << EngineKindName(c.engine);
  EmitCredentials(y, "credentials", c.credentials);
  EmitCredentials(y, "replication", c.replication);
  EmitMap(y, "options", c.options);
  EmitMap(y, "annotations", c.annotations);
  y << YAML::Key << "instances" << YAML::Value << YAML::BeginSeq;
  for (const auto& i : c.instances)
    EmitInstance(y, i);
  y << YAML::EndSeq << YAML::EndMap;
}

}  // namespace

core::Result<std::vector<Cluster>> ParseInventory(const std::string& text,
                                                  const std::string& source) {
  try {
    return ParseRoot(YAML::Load(text));
  } catch (const InventoryError& e) {
    return core::Usage("malformed " + Where(source, e.mark) + ": " + e.message,
                       "fix the file (see docs/inventory.md)");
  } catch (const YAML::Exception& e) {
    return core::Usage("malformed " + Where(source, e.mark) + ": " + e.msg,
                       "fix the file (see docs/inventory.md)");
  }
}

std::string EmitInventory(const std::vector<Cluster>& clusters) {
  YAML::Emitter y;
  y << YAML::BeginMap;
  y << YAML::Key << "version" << YAML::Value << 1;
  y << YAML::Key << "clusters" << YAML::Value << YAML::BeginSeq;
  for (const auto& c : clusters)
    EmitCluster(y, c);
  y << YAML::EndSeq << YAML::EndMap;
  return std::string(y.c_str()) + "\n";
}

core::Result<std::vector<Cluster>> LoadInventory(const std::string& path) {
  auto text = core::ReadFileToString(path);
  if (!text.ok()) {
    if (text.status().code() == core::ErrorCode::kNotFound) {
      return std::vector<Cluster>{};
    }
    return text.TakeStatus().Wrap("read inventory");
  }
  return ParseInventory(*text, path);
}

core::Status EnsureDir(const std::string& dir) {
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) {
    return core::Status::Ok();
  }
  return core::MakeDirs(dir, 0700);
}

core::Status SaveInventory(const std::string& path, const std::vector<Cluster>& clusters) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty())
    dir = ".";
  HS_TRY(EnsureDir(dir));
  core::AtomicFileOptions opts;
  opts.mode = 0600;  // inventories may hold credentials
  return core::WriteFileAtomically(path, core::AsBytes(EmitInventory(clusters)), opts);
}

}  // namespace hasteward::platform
