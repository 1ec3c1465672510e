#include "support/wal_switch.h"

#include "core/poll_until.h"

namespace hasteward::testing {

core::Status SwitchWalAndWaitArchived(const std::function<std::string(const std::string&)>& sql,
                                      std::chrono::seconds bound) {
  const std::string segment = sql("SELECT pg_walfile_name(pg_switch_wal())");
  if (segment.empty()) {
    return core::Internal("pg_switch_wal() answered nothing");
  }
  // Segment names of one timeline sort as they were written.
  const bool archived = core::PollUntil(
      [&] {
        return sql("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver") >= segment;
      },
      bound);
  if (!archived) {
    return core::Status(core::ErrorCode::kTimeout, segment + " was not archived", "");
  }
  return core::Status::Ok();
}

}  // namespace hasteward::testing
