// verify/report: the evidence a verification leaves in the repository — a small JSON document
// stored as "<ns>/<cluster>/verification.json" in a snapshot tagged type=verification and
// verifies=<backup snapshot id> (docs/operator.md "Verification evidence").
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/data_check.h"

namespace hasteward::verify {

// What was found in one restored table (the engine's data check of it).
using TableEvidence = engine::TableCheck;

struct VerificationReport {
  std::string snapshot_id;  // full hex ID of the verified type=backup snapshot
  std::string engine;
  std::string cluster;
  std::string ns;
  std::string started;  // RFC3339
  std::string finished;
  double duration_seconds = 0;
  std::map<std::string, double> phase_seconds;  // sandbox_up, restore, checks, teardown
  bool ok = false;
  std::vector<std::string> failures;  // why the verdict is "failed", one line each
  std::vector<std::string> notes;     // e.g. "amcheck: not available"
  std::vector<TableEvidence> tables;
  uint64_t restored_bytes = 0;
  std::string tool_version;

  std::string Verdict() const { return ok ? "ok" : "failed"; }
};

// Pretty JSON with a trailing newline ({"snapshot_id":..., "verdict":"ok"|"failed", ...}).
std::string EncodeReport(const VerificationReport& report);
// kCorruption when the text is not a report.
core::Result<VerificationReport> DecodeReport(const std::string& json);

}  // namespace hasteward::verify
