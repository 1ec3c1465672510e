// The shared checks of the kill-at-every-step restore tests (issue 30): a restore killed by a
// failpoint leaves an instance's data directory holding its old data untouched, or nothing but
// the swap journal (killed between the swap's renames), or the restored tree; the old data
// directory is then complete where the journal or the output names it.
//
//   auto old = OldDataDirectory::Mark(data_dir, "shop-0", "round 1");
//   auto killed = shop.Hs(restore, {{"HASTEWARD_FAILPOINT", failpoint}});
//   old.ExpectOldOrRestored("global/pg_control");
//   auto rerun = shop.Hs(restore);
//   old.ExpectKeptWholeAtANamedPath(killed.err + rerun.err);
#pragma once

#include <map>
#include <string>
#include <vector>

namespace hasteward::testing {

class OldDataDirectory {
 public:
  // Writes a mark file into the stopped instance `instance_name`'s data directory and records the
  // directory's content (relative path -> sha256), so a copy of it is recognised wherever it is.
  static OldDataDirectory Mark(const std::string& data_dir, const std::string& instance_name,
                               const std::string& mark);

  // After the kill: the data directory is the old one untouched; or missing, with the swap
  // journal naming where the old one is, whole; or a restored tree (it holds `restored_file`,
  // relative to it, and not the mark): never a mixture or nothing. Non-fatal test failures.
  void ExpectOldOrRestored(const std::string& restored_file) const;

  // After the rerun: exactly one path that `output` names as where a data directory of the
  // instance was kept ("... data directory of 'X' at 'P'", "... of 'X' is kept at 'P'") holds the
  // old data directory whole.
  void ExpectKeptWholeAtANamedPath(const std::string& output) const;

 private:
  OldDataDirectory(std::string data_dir, std::string instance_name)
      : data_dir_(std::move(data_dir)), instance_name_(std::move(instance_name)) {}

  std::string data_dir_;
  std::string instance_name_;
  std::map<std::string, std::string> content_;
};

// TreeDigest of `dir` keyed by paths relative to it, so two directories' contents compare.
std::map<std::string, std::string> ContentDigest(const std::string& dir);

// Every path `output` names as where a data directory of instance `instance_name` was kept.
std::vector<std::string> KeptPathsNamedIn(const std::string& output,
                                          const std::string& instance_name);

}  // namespace hasteward::testing
