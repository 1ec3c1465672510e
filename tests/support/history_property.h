// What the "every copy knows its history" property tests (issue #49) share, PostgreSQL's
// (history_property_test) and MariaDB's (mariadb_history_property_test): the seeded random source,
// the model of what a copy holds and how a copy differs from it, the seeds and steps from the
// environment, the kept copy a restore names, and the run of one seed (SetUp, the steps, every
// snapshot at the end), which prints each step before it runs so a failure names its seed and the
// steps that led to it.
//
//   class PgRun : public PropertyRun { ... };   // SetUp, RunStep, CheckAllSnapshots
//   RunPropertySeeds("history-property", PropertySeedsFromEnv("1,2"), PropertyStepsFromEnv(8),
//                    [](uint64_t seed) { return std::make_unique<PgRun>(seed); });
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "support/command.h"

namespace hasteward::testing {

// splitmix64: the same sequence from a seed on every platform (std distributions differ).
class PropertyRng {
 public:
  explicit PropertyRng(uint64_t seed) : state_(seed) {}
  uint64_t Next();
  // A number in [0, n); n > 0.
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }

 private:
  uint64_t state_;
};

// The data a copy holds: the sums of its tables and the acknowledged ids. Text() is the form a
// test's state query answers: "<sums>#<id>,<id>,...".
struct ModelState {
  std::set<int> ids;
  std::string sums;
  std::string Text() const;
};

// Why `actual` (a state query's answer) is not `expected`, "" when it is: the acknowledged ids
// missing, the ids that should not be there, and both texts.
std::string StateDifference(const ModelState& expected, const std::string& actual);

// HASTEWARD_PROPERTY_SEED (one seed) or HASTEWARD_PROPERTY_SEEDS (comma separated), else
// `defaults` (comma separated).
std::vector<uint64_t> PropertySeedsFromEnv(const std::string& defaults);
// HASTEWARD_PROPERTY_STEPS, else `default_steps`.
int PropertyStepsFromEnv(int default_steps);

// The data directory a restore's output names as kept ("kept the previous data directory of 'X'
// at 'P'"), nullopt when it names none.
std::optional<std::string> KeptCopy(const std::string& output);

// One seed's run of a property: a fresh cluster, repository and model. A subclass owns them;
// this base owns the seed's random source, the step and operation names, and the log.
class PropertyRun {
 public:
  // `tag` prefixes every log line ("[tag] seed N step S: ...").
  PropertyRun(std::string tag, uint64_t seed) : seed_(seed), rng_(seed), tag_(std::move(tag)) {}
  virtual ~PropertyRun() = default;
  PropertyRun(const PropertyRun&) = delete;
  PropertyRun& operator=(const PropertyRun&) = delete;

  // Starts the cluster and the repository; false on a failure (reported already).
  virtual bool SetUp() = 0;
  // Runs step `step` (from 1): one random operation, then the invariants; false on a violation.
  bool Step(int step) {
    step_ = step;
    return RunStep();
  }
  // Every snapshot taken restores with stock restic to exactly what it recorded.
  virtual bool CheckAllSnapshots() = 0;
  // The operations run, in order ("write,backup,pitr-lsn,...").
  const std::string& ops() const { return ops_; }

 protected:
  virtual bool RunStep() = 0;
  // Records a non-fatal test failure naming the seed, step and operation; returns false.
  bool Fail(const std::string& what);
  // Appends `op` to ops().
  void Ran(const std::string& op) { ops_ += (ops_.empty() ? "" : ",") + op; }
  void Log(const std::string& line) const;
  // Logs a command's own lines (which base, which copy kept), for a failure to be read from the
  // log.
  void LogOutput(const CmdResult& result) const;

  uint64_t seed_;
  PropertyRng rng_;
  int step_ = 0;
  std::string op_ = "setup";  // the operation running, for Fail()

 private:
  std::string tag_;
  std::string ops_;
};

// Runs `steps` steps of a fresh run (made by `make_run`) for each seed, then checks every snapshot;
// prints the replay command before and "passed"/"FAILED (ops)" after each seed. A violation is a
// non-fatal test failure, so the remaining seeds still run.
void RunPropertySeeds(const std::string& tag, const std::vector<uint64_t>& seeds, int steps,
                      const std::function<std::unique_ptr<PropertyRun>(uint64_t)>& make_run);

}  // namespace hasteward::testing
