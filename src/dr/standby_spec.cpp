#include "dr/standby_spec.h"

#include <cctype>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "core/fd.h"
#include "platform/state_dir.h"
#include "repo/cursor/standby_cursor.h"
#include "repo/format/go_json.h"

namespace hasteward::dr {

namespace {

constexpr const char* kFormatHint = "see docs/standby.md for the standby declaration";

core::Status CheckKeys(const YAML::Node& node, const std::set<std::string>& known,
                       const std::string& where) {
  if (!node.IsMap()) {
    return core::Usage(where + " must be a mapping", kFormatHint);
  }
  for (const auto& entry : node) {
    auto key = entry.first.as<std::string>();
    if (known.count(key) == 0) {
      // NOLINTNEXTLINE(performance-inefficient-string-concatenation): error path, runs once
      return core::Usage("unknown key '" + key + "' in " + where, kFormatHint);
    }
  }
  return core::Status::Ok();
}

std::string Text(const YAML::Node& node, const char* key, std::string fallback = "") {
  return node[key] ? node[key].as<std::string>() : std::move(fallback);
}

core::Status RequireText(const std::string& value, const std::string& field) {
  return value.empty() ? core::Usage(field + " is required", kFormatHint) : core::Status::Ok();
}

core::Status RequireNode(const YAML::Node& node, const std::string& field) {
  return node ? core::Status::Ok() : core::Usage(field + " is required", kFormatHint);
}

core::Result<platform::EngineKind> Engine(const YAML::Node& node, const std::string& field) {
  std::string name = Text(node, "engine");
  HS_TRY(RequireText(name, field));
  auto engine = platform::ParseEngineKind(name);
  if (!engine.ok()) {
    return core::Usage(field + ": unknown engine '" + name + "'",
                       "use cnpg (PostgreSQL), mariadb or galera");
  }
  return *engine;
}

core::Result<std::chrono::seconds> Duration(const YAML::Node& node, const char* key,
                                            std::chrono::seconds fallback,
                                            const std::string& where) {
  if (!node[key]) {
    return fallback;
  }
  return ParseSpecDuration(where + "." + key, node[key].as<std::string>());
}

core::Result<bool> Flag(const YAML::Node& node, const char* key, const std::string& where) {
  if (!node[key]) {
    return false;
  }
  bool value = false;
  if (!YAML::convert<bool>::decode(node[key], value)) {
    return core::Usage(where + "." + key + " must be true or false", kFormatHint);
  }
  return value;
}

// source.probeCredentials: the account the write probe logs in with. Both fields, and only
// beside a probe address: credentials that would never be used are a mistake worth naming.
core::Status ParseProbeCredentials(const YAML::Node& node, const std::string& probe,
                                   const std::string& where, SourceSpec& source) {
  if (!node) {
    return core::Status::Ok();
  }
  std::string field = where + ".source.probeCredentials";
  HS_TRY(CheckKeys(node, {"user", "passwordFile"}, field));
  if (probe.empty()) {
    return core::Usage(field + " is declared without source.probe",
                       "add the source primary's host:port as source.probe, or remove it");
  }
  source.probe_credentials.user = Text(node, "user");
  HS_TRY(RequireText(source.probe_credentials.user, field + ".user"));
  std::string password_file = Text(node, "passwordFile");
  HS_TRY(RequireText(password_file, field + ".passwordFile"));
  source.probe_credentials.password = platform::SecretRef(password_file, "");
  return core::Status::Ok();
}

core::Status ParseSource(const YAML::Node& node, const std::string& where, SourceSpec& source) {
  HS_TRY(RequireNode(node, where + ".source"));
  HS_TRY(CheckKeys(
      node,
      {"repository", "passwordFile", "s3CredentialsFile", "cluster", "probe", "probeCredentials"},
      where + ".source"));
  source.probe = Text(node, "probe");
  if (!source.probe.empty()) {
    auto colon = source.probe.rfind(':');
    bool port_ok = colon != std::string::npos && colon > 0 && colon + 1 < source.probe.size() &&
                   source.probe.size() - colon <= 6 &&
                   source.probe.find_first_not_of("0123456789", colon + 1) == std::string::npos;
    if (!port_ok) {
      return core::Usage(where + ".source.probe: '" + source.probe + "' is not host:port",
                         kFormatHint);
    }
  }
  HS_TRY(ParseProbeCredentials(node["probeCredentials"], source.probe, where, source));
  source.repository = Text(node, "repository");
  HS_TRY(RequireText(source.repository, where + ".source.repository"));
  source.password_file = Text(node, "passwordFile");
  HS_TRY(RequireText(source.password_file, where + ".source.passwordFile"));
  source.s3_credentials_file = Text(node, "s3CredentialsFile");
  const YAML::Node cluster = node["cluster"];
  std::string field = where + ".source.cluster";
  HS_TRY(RequireNode(cluster, field));
  HS_TRY(CheckKeys(cluster, {"engine", "namespace", "name"}, field));
  HS_ASSIGN_OR_RETURN(source.engine, Engine(cluster, field + ".engine"));
  source.ns = Text(cluster, "namespace", "default");
  source.name = Text(cluster, "name");
  return RequireText(source.name, field + ".name");
}

core::Status ParseTemplate(const YAML::Node& node, const std::string& where,
                           ClusterTemplate& cluster) {
  std::string field = where + ".template";
  HS_TRY(RequireNode(node, field));
  HS_TRY(CheckKeys(node, {"engine", "instances", "platform", "namespace", "name"}, field));
  HS_ASSIGN_OR_RETURN(cluster.engine, Engine(node, field + ".engine"));
  if (node["instances"]) {
    int instances = 0;
    if (!YAML::convert<int>::decode(node["instances"], instances) || instances < 1) {
      return core::Usage(field + ".instances must be a whole number of at least 1", kFormatHint);
    }
    cluster.instances = instances;
  }
  cluster.platform = Text(node, "platform");
  cluster.ns = Text(node, "namespace", "default");
  cluster.name = Text(node, "name");
  return RequireText(cluster.name, field + ".name");
}

// The operator's cron parser lives above this layer; the full check happens where the schedule
// runs. Here: five fields, so a misplaced value (a duration) is caught when the file is read.
core::Status CheckCronShape(const std::string& expression, const std::string& field) {
  std::istringstream words(expression);
  std::string word;
  int fields = 0;
  while (words >> word) {
    ++fields;
  }
  if (!expression.empty() && fields != 5) {
    return core::Usage(field + ": '" + expression + "' is not a five-field cron expression",
                       "e.g. \"0 4 * * *\" (04:00 every day)");
  }
  return core::Status::Ok();
}

core::Status ParseFreshness(const YAML::Node& node, const std::string& where,
                            FreshnessSpec& freshness) {
  if (!node) {
    return core::Status::Ok();
  }
  std::string field = where + ".freshness";
  HS_TRY(
      CheckKeys(node, {"discoveryInterval", "verifySchedule", "maxStaleness", "suspend"}, field));
  HS_ASSIGN_OR_RETURN(freshness.discovery_interval,
                      Duration(node, "discoveryInterval", freshness.discovery_interval, field));
  HS_ASSIGN_OR_RETURN(freshness.max_staleness,
                      Duration(node, "maxStaleness", freshness.max_staleness, field));
  freshness.verify_schedule = Text(node, "verifySchedule");
  HS_TRY(CheckCronShape(freshness.verify_schedule, field + ".verifySchedule"));
  HS_ASSIGN_OR_RETURN(freshness.suspend, Flag(node, "suspend", field));
  return core::Status::Ok();
}

core::Status ParseActivation(const YAML::Node& node, const std::string& where,
                             ActivationSpec& activation) {
  if (!node) {
    return core::Status::Ok();
  }
  std::string field = where + ".activation";
  HS_TRY(CheckKeys(node, {"pointInTime", "acceptUnverified", "restoreTimeout"}, field));
  if (node["pointInTime"]) {
    std::string point = node["pointInTime"].as<std::string>();
    if (!repo::ParseGoTime(point).ok()) {
      return core::Usage(field + ".pointInTime: '" + point + "' is not an RFC 3339 time",
                         "e.g. 2026-11-22T10:00:00Z");
    }
    activation.point_in_time = point;
  }
  HS_ASSIGN_OR_RETURN(activation.accept_unverified, Flag(node, "acceptUnverified", field));
  HS_ASSIGN_OR_RETURN(activation.restore_timeout,
                      Duration(node, "restoreTimeout", activation.restore_timeout, field));
  return core::Status::Ok();
}

core::Status ParseCursor(const YAML::Node& node, const std::string& where, CursorSpec& cursor) {
  if (!node) {
    return core::Status::Ok();
  }
  std::string field = where + ".cursor";
  HS_TRY(CheckKeys(node, {"ttl", "write"}, field));
  HS_ASSIGN_OR_RETURN(cursor.ttl, Duration(node, "ttl", cursor.ttl, field));
  if (node["write"]) {
    HS_ASSIGN_OR_RETURN(cursor.write, Flag(node, "write", field));
  }
  return core::Status::Ok();
}

core::Result<StandbySpec> ParseStandby(const YAML::Node& node, size_t position) {
  std::string where = "standby #" + std::to_string(position + 1);
  if (!node.IsMap()) {
    return core::Usage(where + " must be a mapping", kFormatHint);
  }
  StandbySpec spec;
  spec.name = Text(node, "name");
  HS_TRY(RequireText(spec.name, where + ".name"));
  where = "standby '" + spec.name + "'";
  // The name is also the cursor object's name in the source repository.
  if (core::Status valid = repo::ValidateStandbyName(spec.name); !valid.ok()) {
    return valid.Wrap(where + ".name");
  }
  HS_TRY(CheckKeys(node,
                   {"name", "source", "template", "freshness", "activation", "cursor", "stateFile"},
                   where));
  HS_TRY(ParseSource(node["source"], where, spec.source));
  HS_TRY(ParseTemplate(node["template"], where, spec.cluster_template));
  HS_TRY(ParseFreshness(node["freshness"], where, spec.freshness));
  HS_TRY(ParseActivation(node["activation"], where, spec.activation));
  HS_TRY(ParseCursor(node["cursor"], where, spec.cursor));
  spec.state_file = Text(node, "stateFile");
  return spec;
}

core::Result<std::vector<StandbySpec>> ParseDocument(const YAML::Node& root) {
  HS_TRY(CheckKeys(root, {"standbys"}, "the standby file"));
  const YAML::Node list = root["standbys"];
  if (!list || !list.IsSequence() || list.size() == 0) {
    return core::Usage("the standby file declares no standbys (a 'standbys:' list)", kFormatHint);
  }
  std::vector<StandbySpec> specs;
  std::set<std::string> names;
  for (size_t i = 0; i < list.size(); ++i) {
    HS_ASSIGN_OR_RETURN(StandbySpec spec, ParseStandby(list[i], i));
    if (!names.insert(spec.name).second) {
      return core::Usage("standby '" + spec.name + "' is declared twice", kFormatHint);
    }
    specs.push_back(std::move(spec));
  }
  return specs;
}

}  // namespace

platform::Cluster StandbySpec::SourceCluster() const {
  platform::Cluster cluster;
  cluster.engine = source.engine;
  cluster.ns = source.ns;
  cluster.name = source.name;
  return cluster;
}

core::Result<std::vector<StandbySpec>> ParseStandbySpecs(const std::string& text,
                                                         const std::string& source) {
  try {
    auto specs = ParseDocument(YAML::Load(text));
    if (!specs.ok()) {
      return specs.TakeStatus().Wrap("standby file '" + source + "'");
    }
    return specs;
  } catch (const YAML::Exception& error) {
    return core::Usage("standby file '" + source + "': " + error.what(),
                       "fix the YAML (a value of the wrong kind, or bad indentation)");
  }
}

core::Result<StandbySpec> ParseStandbyDeclaration(const std::string& text,
                                                  const std::string& where) {
  try {
    auto spec = ParseStandby(YAML::Load(text), 0);
    if (!spec.ok()) {
      return spec.TakeStatus().Wrap(where);
    }
    return spec;
  } catch (const YAML::Exception& error) {
    return core::Usage(where + ": " + error.what(), kFormatHint);
  }
}

core::Result<StandbySpec> LoadStandbySpec(const std::string& path, const std::string& name) {
  auto text = core::ReadFileToString(path);
  if (!text.ok()) {
    return core::Usage("cannot read standby file '" + path + "'", "pass --config FILE");
  }
  HS_ASSIGN_OR_RETURN(auto specs, ParseStandbySpecs(*text, path));
  std::string names;
  for (auto& spec : specs) {
    if (spec.name == name) {
      return std::move(spec);
    }
    names += (names.empty() ? "'" : ", '") + spec.name + "'";
  }
  return core::Usage("standby file '" + path + "' declares no standby '" + name + "'",
                     "it declares " + names);
}

std::string StandbyStateFile(const StandbySpec& spec) {
  return spec.state_file.empty() ? platform::DefaultStateDir() + "/standby-" + spec.name + ".json"
                                 : spec.state_file;
}

core::Result<std::chrono::seconds> ParseSpecDuration(const std::string& field,
                                                     const std::string& text) {
  auto bad = [&] {
    return core::Usage(field + ": '" + text + "' is not a duration",
                       "write e.g. 30s, 5m, 48h, 1h30m or 2d");
  };
  if (text.empty()) {
    return bad();
  }
  int64_t total = 0;
  size_t at = 0;
  while (at < text.size()) {
    size_t digits = at;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])) != 0) {
      ++digits;
    }
    if (digits == at || digits - at > 9) {
      return bad();
    }
    int64_t amount = std::stoll(text.substr(at, digits - at));
    if (digits == text.size()) {
      total += amount;  // bare seconds: the last number of the text
      break;
    }
    switch (text[digits]) {
      case 's': total += amount; break;
      case 'm': total += amount * 60; break;
      case 'h': total += amount * 3600; break;
      case 'd': total += amount * 86400; break;
      default: return bad();
    }
    at = digits + 1;
  }
  if (total <= 0) {
    return core::Usage(field + " must be longer than zero", "write e.g. 30s, 5m or 48h");
  }
  return std::chrono::seconds(total);
}

}  // namespace hasteward::dr
