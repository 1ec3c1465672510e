// Reading back every table of an instance: row counts, an order-independent checksum per table
// and the engine's own consistency checks (PostgreSQL amcheck: bt_index_check with
// heapallindexed and verify_heapam, when the extension is available; MariaDB CHECK TABLE). Used to
// prove a restore healthy (verify) and to compare two copies of the same data (the engine
// conformance suite). Every problem becomes a failure line; nothing stops at the first problem.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hasteward::engine {

// What was found in one table.
struct TableCheck {
  std::string database;
  std::string table;  // schema-qualified for PostgreSQL ("public.orders")
  int64_t rows = 0;
  std::string checksum;  // md5-based row-set sum (PostgreSQL) / CHECKSUM TABLE (MariaDB)
  std::string check;     // "ok", or the engine check's complaint
};

struct DataCheck {
  std::vector<TableCheck> tables;  // ordered by database, then table
  std::vector<std::string> failures;
  std::vector<std::string> notes;  // which engine checks ran
};

}  // namespace hasteward::engine
