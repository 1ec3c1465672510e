#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/byte_stream.h"

namespace hasteward::core {

// Lowercase hex encoding.
std::string HexEncode(ByteView data);
// Decodes hex (either case); nullopt on odd length or a non-hex character.
std::optional<Bytes> HexDecode(std::string_view hex);

std::string Base64Encode(ByteView data);
std::optional<Bytes> Base64Decode(std::string_view b64);

}  // namespace hasteward::core
