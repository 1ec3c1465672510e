#include "engine/engine.h"

#include "engine/galera/galera_engine.h"
#include "engine/mariadb/mariadb_engine.h"
#include "engine/postgres/postgres_engine.h"

namespace hasteward::engine {

core::Result<std::unique_ptr<Engine>> MakeEngine(EngineKind kind) {
  switch (kind) {
    case EngineKind::kPostgres:
      return std::unique_ptr<Engine>(std::make_unique<postgres::PostgresEngine>());
    case EngineKind::kMariadb:
      return std::unique_ptr<Engine>(std::make_unique<mariadb::MariadbEngine>());
    case EngineKind::kGalera:
      return std::unique_ptr<Engine>(std::make_unique<galera::GaleraEngine>());
  }
  return core::Internal("unknown engine kind " + std::to_string(static_cast<int>(kind)));
}

const char* DumpFileName(EngineKind kind) {
  return kind == EngineKind::kPostgres ? "pgdumpall.sql" : "mysqldump.sql";
}

}  // namespace hasteward::engine
