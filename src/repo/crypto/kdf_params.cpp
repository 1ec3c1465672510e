#include "repo/crypto/kdf_params.h"

#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace hasteward::repo {

namespace {

constexpr uint64_t kMinN = 1024;
constexpr uint64_t kMaxN = uint64_t{1} << 20;
constexpr uint64_t kMaxR = 32;
constexpr uint64_t kMaxP = 16;

core::Status Invalid(std::string_view text, const std::string& why) {
  return core::Usage("scrypt parameters '" + std::string(text) + "' are invalid: " + why,
                     "give them as N,r,p, e.g. 32768,8,4 (restic's default)");
}

bool ParseNumber(std::string_view field, uint64_t& value) {
  const char* end = field.data() + field.size();
  auto [ptr, error] = std::from_chars(field.data(), end, value);
  return !field.empty() && error == std::errc() && ptr == end;
}

}  // namespace

core::Result<KdfParams> ParseKdfParams(std::string_view text) {
  std::vector<uint64_t> numbers;
  std::string_view rest = text;
  while (true) {
    size_t comma = rest.find(',');
    uint64_t value = 0;
    if (!ParseNumber(rest.substr(0, comma), value)) {
      return Invalid(text, "each of N, r and p must be a whole number");
    }
    numbers.push_back(value);
    if (comma == std::string_view::npos) {
      break;
    }
    rest.remove_prefix(comma + 1);
  }
  if (numbers.size() != 3) {
    return Invalid(text, "expected exactly three numbers");
  }
  const uint64_t n = numbers[0];
  if (n < kMinN || n > kMaxN || (n & (n - 1)) != 0) {
    return Invalid(text, "N must be a power of two from 1024 to 1048576");
  }
  if (numbers[1] < 1 || numbers[1] > kMaxR) {
    return Invalid(text, "r must be from 1 to 32");
  }
  if (numbers[2] < 1 || numbers[2] > kMaxP) {
    return Invalid(text, "p must be from 1 to 16");
  }
  return KdfParams{n, static_cast<uint32_t>(numbers[1]), static_cast<uint32_t>(numbers[2])};
}

core::Result<KdfParams> KdfParamsFromEnvironment() {
  // Checked before anything is written, so a typo never leaves a half-made repository or key.
  const char* text = std::getenv("HASTEWARD_KDF_PARAMS");
  if (text == nullptr || *text == '\0') {
    return KdfParams{};
  }
  return ParseKdfParams(text);
}

}  // namespace hasteward::repo
