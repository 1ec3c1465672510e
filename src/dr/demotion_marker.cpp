#include "dr/demotion_marker.h"

#include <nlohmann/json.hpp>

#include "repo/crypto/crypto.h"
#include "repo/format/go_json.h"

namespace hasteward::dr {

namespace {

core::Result<std::string> Text(const nlohmann::json& object, const char* key) {
  if (!object.is_object() || !object.contains(key) || !object[key].is_string()) {
    return core::Corruption(std::string("demotion marker: '") + key +
                            "' is missing or not a string");
  }
  return object[key].get<std::string>();
}

core::Result<repo::CursorPositionKind> PositionKind(const std::string& name) {
  for (auto kind : {repo::CursorPositionKind::kWalSegment, repo::CursorPositionKind::kGtid}) {
    if (name == repo::CursorPositionKindName(kind)) {
      return kind;
    }
  }
  return core::Corruption("demotion marker: unknown position kind '" + name + "'");
}

storage::Handle MarkerHandle(const platform::Cluster& cluster) {
  return storage::Handle{storage::FileType::kStandbyCursor, DemotionMarkerObjectName(cluster)};
}

}  // namespace

std::string DemotionMarkerObjectName(const platform::Cluster& cluster) {
  return std::string("demotion/") + platform::EngineKindName(cluster.engine) + "." + cluster.ns +
         "." + cluster.name + ".marker";
}

std::string EncodeDemotionMarker(const DemotionMarker& marker) {
  nlohmann::json doc = {{"version", DemotionMarker::kVersion},
                        {"source",
                         {{"engine", marker.engine},
                          {"namespace", marker.namespace_name},
                          {"cluster", marker.cluster}}},
                        {"position",
                         {{"kind", repo::CursorPositionKindName(marker.position_kind)},
                          {"position", marker.position}}},
                        {"end", marker.end},
                        {"written", repo::GoTime{marker.written_unix, 0, 0}.Format()},
                        {"writer", marker.writer}};
  return doc.dump();
}

core::Result<DemotionMarker> DecodeDemotionMarker(const std::string& json) {
  nlohmann::json doc = nlohmann::json::parse(json, nullptr, false);
  if (!doc.is_object() || !doc.contains("version") || !doc["version"].is_number_integer()) {
    return core::Corruption("demotion marker is not a versioned JSON object");
  }
  // A newer writer may mean something else by its position: never guessed.
  if (doc["version"].get<int64_t>() != DemotionMarker::kVersion) {
    return core::Corruption("demotion marker version " + doc["version"].dump() +
                            " is not the version this build reads");
  }
  DemotionMarker marker;
  const nlohmann::json source = doc.value("source", nlohmann::json());
  HS_ASSIGN_OR_RETURN(marker.engine, Text(source, "engine"));
  HS_ASSIGN_OR_RETURN(marker.namespace_name, Text(source, "namespace"));
  HS_ASSIGN_OR_RETURN(marker.cluster, Text(source, "cluster"));
  const nlohmann::json position = doc.value("position", nlohmann::json());
  HS_ASSIGN_OR_RETURN(std::string kind, Text(position, "kind"));
  HS_ASSIGN_OR_RETURN(marker.position_kind, PositionKind(kind));
  HS_ASSIGN_OR_RETURN(marker.position, Text(position, "position"));
  HS_ASSIGN_OR_RETURN(marker.end, Text(doc, "end"));
  HS_ASSIGN_OR_RETURN(marker.writer, Text(doc, "writer"));
  HS_ASSIGN_OR_RETURN(std::string written, Text(doc, "written"));
  auto time = repo::ParseGoTime(written);
  if (!time.ok()) {
    return core::Corruption("demotion marker: written time '" + written + "' is not RFC 3339");
  }
  marker.written_unix = time->unix_seconds;
  return marker;
}

core::Status SaveDemotionMarker(repo::Repository& repository, const platform::Cluster& cluster,
                                const DemotionMarker& marker) {
  core::Bytes encrypted =
      repo::Encrypt(repository.key(), core::AsBytes(EncodeDemotionMarker(marker)));
  core::Status saved = repository.backend().Save(MarkerHandle(cluster), encrypted);
  if (!saved.ok()) {
    return saved.Wrap("write demotion marker 'hasteward/standby-cursors/" +
                      DemotionMarkerObjectName(cluster) + "'");
  }
  return core::Status::Ok();
}

core::Result<std::optional<DemotionMarker>> LoadDemotionMarker(repo::Repository& repository,
                                                               const platform::Cluster& cluster) {
  core::Bytes encrypted;
  core::Status loaded = repository.backend().Load(MarkerHandle(cluster), 0, 0, &encrypted);
  if (loaded.code() == core::ErrorCode::kNotFound) {
    return std::optional<DemotionMarker>();
  }
  HS_TRY(loaded);
  auto plain = repo::Decrypt(repository.key(), encrypted);
  if (!plain.ok()) {
    return core::Corruption(
        "demotion marker cannot be decrypted (torn, altered, or written "
        "with another key)");
  }
  HS_ASSIGN_OR_RETURN(DemotionMarker marker, DecodeDemotionMarker(core::AsString(*plain)));
  if (marker.engine != platform::EngineKindName(cluster.engine) ||
      marker.namespace_name != cluster.ns || marker.cluster != cluster.name) {
    return core::Corruption("demotion marker names cluster '" + marker.namespace_name + "/" +
                            marker.cluster + "'");
  }
  return std::optional<DemotionMarker>(std::move(marker));
}

}  // namespace hasteward::dr
