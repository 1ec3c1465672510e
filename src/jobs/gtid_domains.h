// jobs/gtid_domains: GTID positions in snapshot tags. A position of several domains is stored
// split at its commas, as restic splits --tag values ("gtid_position=0-1-42", "1-1-7": the writer
// normalizes tags like restic, repo::NormalizeTags), so a tag's value is read back with the bare
// GTID tags that follow it (GtidTagValue). And the highest GTID domain the repository knows for a
// cluster, read from its snapshots' tags (a MariaDB backup's gtid_position and gtid_slave_pos, a
// diverged capture's, the binlog archive's piece and rewind states). A MariaDB restore starts its
// new history in a domain above it (engine::NativeRestoreOptions::newest_taken_gtid_domain), so a
// history that survives only in the repository — its instances rebuilt or gone — is never named
// again. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "repo/repository.h"

namespace hasteward::jobs {

// The value of the GTID list tag `key` ("gtid_position", "gtid_slave_pos") with every domain it
// was written with: "key=0-1-42" followed by the bare "1-1-7" tags gives "0-1-42,1-1-7". nullopt
// when no tag has the key.
std::optional<std::string> GtidTagValue(const std::vector<std::string>& tags,
                                        const std::string& key);

// The highest domain named in the snapshots' GTID tags; nullopt when none names one (PostgreSQL
// snapshots, or MariaDB ones taken before any GTID). Malformed entries are skipped.
std::optional<uint32_t> NewestGtidDomain(const std::vector<repo::Snapshot>& snapshots);

}  // namespace hasteward::jobs
