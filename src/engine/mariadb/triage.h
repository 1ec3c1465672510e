#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "engine/triage.h"

namespace hasteward::engine::mariadb {

// Reads every instance (read-only): SHOW ALL SLAVES STATUS (threads, errors, lag),
// gtid_current_pos / gtid_binlog_pos, read_only, semi-sync state. The primaries' positions are
// read again after the replicas' so a write in between never looks like an errant transaction.
core::Result<TriageReport> TriageMariadb(platform::Platform& platform,
                                         const platform::Cluster& cluster);

// The verdict (pure): split-brain when more than one instance is writable or a replica holds
// GTIDs its primary lacks (errant transactions); degraded when there is no primary, a replica's
// replication is broken or lagging, semi-sync fell back to async, or an instance is unreadable.
Verdict MariadbVerdict(const std::vector<InstanceHealth>& instances,
                       std::vector<Finding>* findings);

// Marks (fact "fenced_old_primary") a demoted old primary: stopped with the persisted fence in its
// config, or running read-only, replicating from no one, beside a writable primary (or with the
// persisted fence). A running one becomes kDegraded, so `repair` rejoins it as a replica.
void MarkFencedOldPrimaries(std::vector<InstanceHealth>* instances);

// "0-1-42,1-2-7" -> {domain: (server_id, seqno)}; a domain listed with several server ids (a
// GTID state) keeps its highest seqno. Malformed entries are skipped.
std::map<long, std::pair<long, long>> ParseGtidList(const std::string& list);

// GTIDs of `replica` that `primary` lacks, as "d-s-n" entries ("" when none): a domain the
// primary does not have or a later sequence number. (A lagging replica's errant write has a lower
// sequence number; LocalGtids catches it.)
std::string ErrantGtids(const std::string& replica, const std::string& primary);

// Transactions a replica originated itself: entries of its gtid_binlog_pos that carry its own
// server_id and differ from its gtid_slave_pos (what replication gave it).
std::string LocalGtids(const std::string& binlog_pos, const std::string& slave_pos,
                       const std::string& server_id);

// The transactions `instance` originated itself (LocalGtids) that `primary` never received: an
// own GTID counts as received when the primary applied it or a later one from the same server
// (its gtid_slave_pos or gtid_binlog_pos names that server with a seqno at least as high), as a
// failed-over old primary's last commits are when the promoted replica had them. "" when none.
std::string UnreceivedLocalGtids(const InstanceHealth& instance, const InstanceHealth& primary);

}  // namespace hasteward::engine::mariadb
