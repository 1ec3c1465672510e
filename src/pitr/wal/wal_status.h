// pitr/wal/wal_status: `hasteward pitr status` — per native base backup, the window the archived
// WAL can replay it through, and the first gap after that window.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "engine/engine.h"
#include "pitr/wal/wal_plan.h"

namespace hasteward::pitr {

// What a synchronous receiver stored of a segment the archive does not hold whole
// (catalog/wal/wal_stream_store.h): a replay to the end of the archive reaches its end.
struct StreamedTail {
  uint32_t timeline = 0;
  uint64_t segment = 0;
  uint64_t end_position = 0;  // the contiguous end of its pieces, as a WAL position
  size_t pieces = 0;
};

struct PitrStatus {
  std::string cluster;                 // "ns/name"
  std::vector<StreamedTail> streamed;  // oldest first
  std::vector<BaseWindow> windows;     // oldest base first
  size_t wal_files = 0;
  size_t wal_snapshots = 0;
  // Rendering needs the engine's names for segments and positions.
  const engine::Archiving* archiving = nullptr;

  // {"cluster","wal_files","wal_snapshots","bases":[{"snapshot","time","timeline","start",
  //  "recoverable":bool,"end_time","end","last_segment","gap":{"first","last"}|null,
  //  "target_timeline","timelines":[{"timeline","from","to"|null}],"unknown_history"|null}],
  //  "streamed":[{"timeline","segment","end","pieces"}]}
  nlohmann::json ToJson() const;
  std::string ToText() const;
};

// Reads the cluster's base backups and archived WAL. The index is loaded here. kUsage when the
// engine has no archiving.
core::Result<PitrStatus> ReadPitrStatus(repo::Repository& repo, const platform::Cluster& cluster,
                                        engine::Engine& engine);

}  // namespace hasteward::pitr
