#include "support/killed_restore.h"

#include <filesystem>
#include <set>

#include <gtest/gtest.h>

#include "core/fd.h"
#include "support/command.h"

namespace hasteward::testing {

namespace {
constexpr char kMarkFile[] = "/old-data-mark";
}  // namespace

OldDataDirectory OldDataDirectory::Mark(const std::string& data_dir,
                                        const std::string& instance_name, const std::string& mark) {
  OldDataDirectory old(data_dir, instance_name);
  WriteFile(data_dir + kMarkFile, mark);
  old.content_ = ContentDigest(data_dir);
  return old;
}

void OldDataDirectory::ExpectOldOrRestored(const std::string& restored_file) const {
  if (!std::filesystem::exists(data_dir_)) {
    auto journal = core::ReadFileToString(data_dir_ + ".hasteward-swap");
    ASSERT_TRUE(journal.ok()) << "no data directory and no swap journal naming the old one";
    EXPECT_EQ(ContentDigest(journal->substr(0, journal->find('\n'))), content_)
        << "the journal does not name the whole old data directory";
    return;
  }
  if (ContentDigest(data_dir_) == content_)
    return;  // the old data, untouched
  EXPECT_TRUE(std::filesystem::exists(data_dir_ + "/" + restored_file))
      << "the data directory changed but is no restored tree";
  EXPECT_FALSE(std::filesystem::exists(data_dir_ + kMarkFile))
      << "the old data directory was changed in place (a mixture)";
}

void OldDataDirectory::ExpectKeptWholeAtANamedPath(const std::string& output) const {
  int whole = 0;
  // A path named twice (a log line also echoed as progress) is one kept copy.
  const auto named = KeptPathsNamedIn(output, instance_name_);
  for (const auto& kept : std::set<std::string>(named.begin(), named.end()))
    whole += ContentDigest(kept) == content_;
  EXPECT_EQ(whole, 1) << "the old data directory of '" << instance_name_
                      << "' is not kept whole at one named path:\n"
                      << output;
}

std::map<std::string, std::string> ContentDigest(const std::string& dir) {
  std::map<std::string, std::string> relative;
  for (const auto& [path, digest] : TreeDigest(dir))
    relative[path.substr(dir.size())] = digest;
  return relative;
}

std::vector<std::string> KeptPathsNamedIn(const std::string& output,
                                          const std::string& instance_name) {
  std::vector<std::string> paths;
  const std::string named = "data directory of '" + instance_name + "' ";
  for (size_t at = output.find(named); at != std::string::npos; at = output.find(named, at + 1)) {
    size_t open = output.find("at '", at);
    size_t close = open == std::string::npos ? open : output.find('\'', open + 4);
    if (close != std::string::npos && output.find('\n', at) > close)
      paths.push_back(output.substr(open + 4, close - open - 4));
  }
  return paths;
}

}  // namespace hasteward::testing
