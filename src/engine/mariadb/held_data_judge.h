// What a MariaDB or Galera restore would discard on one instance. MariaDB: the running server's
// GTID position (a primary's gtid_binlog_pos, a replica's gtid_current_pos) against the replacing
// data's "gtid_position"; a stopped server's position is unknown (it is read from the running
// server). Galera: the node's cluster UUID and seqno (triage reads them from a running node, or
// from grastate.dat / --wsrep-recover of a stopped one) against "wsrep_uuid" / "wsrep_seqno", else
// by GTID. Pure; unit-tested on hand-built facts.
#pragma once

#include <map>
#include <string>

#include "engine/held_data.h"
#include "engine/triage.h"

namespace hasteward::engine::mariadb {

HeldDataJudgement JudgeMariadbHeldData(const InstanceHealth& held,
                                       const std::map<std::string, std::string>& replacement);

HeldDataJudgement JudgeGaleraHeldData(const InstanceHealth& held,
                                      const std::map<std::string, std::string>& replacement);

}  // namespace hasteward::engine::mariadb
