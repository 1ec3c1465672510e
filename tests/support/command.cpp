#include "support/command.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/hex.h"
#include "core/subprocess.h"

namespace hasteward::testing {

CmdResult RunCommand(const std::vector<std::string>& argv,
                     const std::map<std::string, std::string>& env, const std::string& stdin_file) {
  core::SubprocessOptions o;
  o.argv = argv;
  o.env_set = env;
  if (!stdin_file.empty()) {
    o.stdin_mode = core::StdioMode::kFile;
    o.stdin_file = stdin_file;
  }
  auto r = core::Run(o);
  CmdResult res;
  if (!r.ok()) {
    res.err = r.status().ToString();
    return res;
  }
  res.exit_code = r->status.signal != 0 ? -1 : r->status.exit_code;
  res.signal = r->status.signal;
  res.out = r->out;
  res.err = r->err;
  return res;
}

namespace {

// Whether every user may execute `path`: the file and each directory on the way to it have the
// "others" execute bit.
bool ExecutableByEveryone(const std::filesystem::path& path) {
  std::error_code error;
  auto absolute = std::filesystem::absolute(path, error);
  if (error) {
    return false;
  }
  for (auto at = absolute; at != at.root_path(); at = at.parent_path()) {
    auto perms = std::filesystem::status(at, error).permissions();
    if (error || (perms & std::filesystem::perms::others_exec) == std::filesystem::perms::none) {
      return false;
    }
  }
  return true;
}

// A copy of `binary` every user can execute, shared by all test processes of one build:
// /tmp/hasteward-test-bin/<inode>-<size>-<mtime>/hasteward, written under a temporary name and
// renamed, so that concurrent tests find either nothing or the whole copy.
std::string CopyExecutableByEveryone(const std::string& binary) {
  struct stat st {};
  if (::stat(binary.c_str(), &st) != 0) {
    return binary;
  }
  std::filesystem::path dir = "/tmp/hasteward-test-bin";
  dir /= std::to_string(st.st_ino) + "-" + std::to_string(st.st_size) + "-" +
         std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
  std::filesystem::path copy = dir / "hasteward";
  std::error_code error;
  if (std::filesystem::exists(copy, error)) {
    return copy.string();
  }
  std::filesystem::create_directories(dir, error);
  for (const auto& made : {dir.parent_path(), dir}) {
    std::filesystem::permissions(made, std::filesystem::perms(0755), error);
  }
  std::filesystem::path partial = dir / ("hasteward.partial-" + std::to_string(::getpid()));
  std::filesystem::copy_file(binary, partial, std::filesystem::copy_options::overwrite_existing,
                             error);
  std::filesystem::permissions(partial, std::filesystem::perms(0755), error);
  std::filesystem::rename(partial, copy, error);
  return error ? binary : copy.string();
}

}  // namespace

std::string LastLine(const std::string& out) {
  size_t end = out.find_last_not_of('\n');
  if (end == std::string::npos)
    return "";
  size_t start = out.rfind('\n', end);
  return out.substr(start == std::string::npos ? 0 : start + 1,
                    end + 1 - (start == std::string::npos ? 0 : start + 1));
}

std::string HastewardBin() {
  // A build in a home directory the database servers' OS users cannot enter (root's is 0700)
  // would leave the servers unable to run the archive_command the product writes (it names the
  // running binary), so the tests run a copy every user can execute. The product itself refuses
  // such a binary with a clear error (pitr/wal/server_user_access.h), which its own test covers.
  static const std::string bin = [] {
    const char* configured = std::getenv("HASTEWARD_TEST_BIN");
    if (configured == nullptr) {
      return std::string("hasteward");
    }
    return ExecutableByEveryone(configured) ? std::string(configured)
                                            : CopyExecutableByEveryone(configured);
  }();
  return bin;
}

std::string WriteFile(const std::string& path, const std::string& content) {
  std::ofstream f(path, std::ios::binary);
  f << content;
  return path;
}

std::string Sha256String(const std::string& data) {
  unsigned char md[32];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return core::HexEncode(core::ByteView(md, 32));
}

std::string Sha256File(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return Sha256String(ss.str());
}

std::map<std::string, std::string> TreeDigest(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file())
      out[e.path().string()] = Sha256File(e.path().string());
  }
  return out;
}

}  // namespace hasteward::testing
