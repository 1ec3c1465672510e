#include "support/history_property.h"

#include <cstdlib>
#include <iostream>
#include <sstream>

#include <gtest/gtest.h>

namespace hasteward::testing {

namespace {

// The ids of a state query's answer (after '#').
std::set<int> IdsOf(const std::string& state) {
  std::set<int> ids;
  std::stringstream in(state.substr(state.find('#') + 1));
  for (std::string id; std::getline(in, id, ',');) {
    if (!id.empty()) {
      ids.insert(std::stoi(id));
    }
  }
  return ids;
}

}  // namespace

uint64_t PropertyRng::Next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::string ModelState::Text() const {
  std::string text = sums + "#";
  for (int id : ids) {
    text += (text.back() == '#' ? "" : ",") + std::to_string(id);
  }
  return text;
}

std::string StateDifference(const ModelState& expected, const std::string& actual) {
  if (actual == expected.Text()) {
    return "";
  }
  std::set<int> got = IdsOf(actual);
  std::string missing, extra;
  for (int id : expected.ids) {
    missing += got.contains(id) ? "" : std::to_string(id) + " ";
  }
  for (int id : got) {
    extra += expected.ids.contains(id) ? "" : std::to_string(id) + " ";
  }
  return "acknowledged ids missing: [" + missing + "], ids that should not be there: [" + extra +
         "]; expected '" + expected.Text() + "', got '" + actual + "'";
}

std::vector<uint64_t> PropertySeedsFromEnv(const std::string& defaults) {
  if (const char* one = std::getenv("HASTEWARD_PROPERTY_SEED"); one != nullptr && *one != '\0') {
    return {std::stoull(one)};
  }
  const char* list = std::getenv("HASTEWARD_PROPERTY_SEEDS");
  std::vector<uint64_t> seeds;
  std::stringstream in(list != nullptr ? list : defaults);
  for (std::string seed; std::getline(in, seed, ',');) {
    if (!seed.empty()) {
      seeds.push_back(std::stoull(seed));
    }
  }
  return seeds;
}

int PropertyStepsFromEnv(int default_steps) {
  const char* steps = std::getenv("HASTEWARD_PROPERTY_STEPS");
  return steps != nullptr && *steps != '\0' ? std::stoi(steps) : default_steps;
}

std::optional<std::string> KeptCopy(const std::string& output) {
  const std::string marker = "kept the previous data directory of '";
  size_t at = output.find(marker);
  if (at == std::string::npos || (at = output.find("' at '", at)) == std::string::npos) {
    return std::nullopt;
  }
  at += 6;
  return output.substr(at, output.find('\'', at) - at);
}

bool PropertyRun::Fail(const std::string& what) {
  ADD_FAILURE() << "seed " << seed_ << " step " << step_ << " (" << op_ << "): " << what;
  return false;
}

void PropertyRun::Log(const std::string& line) const {
  std::cout << "[" << tag_ << "] seed " << seed_ << " step " << step_ << ": " << line << std::endl;
}

void PropertyRun::LogOutput(const CmdResult& result) const {
  std::stringstream in(result.out + result.err);
  for (std::string line; std::getline(in, line);) {
    Log("  | " + line);
  }
}

void RunPropertySeeds(const std::string& tag, const std::vector<uint64_t>& seeds, int steps,
                      const std::function<std::unique_ptr<PropertyRun>(uint64_t)>& make_run) {
  for (uint64_t seed : seeds) {
    std::cout << "[" << tag << "] seed " << seed << " (" << steps
              << " steps; replay: HASTEWARD_PROPERTY_SEED=" << seed
              << " HASTEWARD_PROPERTY_STEPS=" << steps << ")" << std::endl;
    std::unique_ptr<PropertyRun> run = make_run(seed);
    bool ok = run->SetUp();
    for (int step = 1; ok && step <= steps; ++step) {
      ok = run->Step(step);
    }
    ok = ok && run->CheckAllSnapshots();
    std::cout << "[" << tag << "] seed " << seed << ": " << (ok ? "passed" : "FAILED") << " ("
              << run->ops() << ")" << std::endl;
  }
}

}  // namespace hasteward::testing
