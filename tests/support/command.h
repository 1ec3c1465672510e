#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace hasteward::testing {

struct CmdResult {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;      // the signal that killed it (SIGKILL: a failpoint fired), 0 when it exited
  std::string out;
  std::string err;
};

// Runs a real program to completion. `stdin_file` (if set) is connected to its stdin.
CmdResult RunCommand(const std::vector<std::string>& argv,
                     const std::map<std::string, std::string>& env = {},
                     const std::string& stdin_file = "");

// The last non-empty line of a command's output (a --json command's summary after its events).
std::string LastLine(const std::string& out);

// The hasteward binary under test ($HASTEWARD_TEST_BIN).
std::string HastewardBin();

// Writes bytes to a file; returns the path.
std::string WriteFile(const std::string& path, const std::string& content);
// SHA-256 (hex) of a file or a string.
std::string Sha256File(const std::string& path);
std::string Sha256String(const std::string& data);
// Name -> sha256 of every regular file below dir (to prove "nothing changed").
std::map<std::string, std::string> TreeDigest(const std::string& dir);

}  // namespace hasteward::testing
