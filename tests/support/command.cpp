#include "support/command.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <openssl/evp.h>

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
  res.out = r->out;
  res.err = r->err;
  return res;
}

std::string HastewardBin() {
  const char* bin = std::getenv("HASTEWARD_TEST_BIN");
  return bin != nullptr ? bin : "hasteward";
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
