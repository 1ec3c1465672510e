// The field layout of a ustar header block (POSIX ustar, as GNU tar and restic write it), shared
// by TarReader and TarWriter: offsets and lengths in bytes within the 512-byte block.
#pragma once

#include <cstddef>

namespace hasteward::core::ustar {

inline constexpr size_t kNameOff = 0, kNameLen = 100;
inline constexpr size_t kModeOff = 100, kUidOff = 108, kGidOff = 116, kIdLen = 8;
inline constexpr size_t kSizeOff = 124, kMtimeOff = 136, kNumLen = 12;
inline constexpr size_t kChecksumOff = 148, kChecksumLen = 8;
inline constexpr size_t kTypeOff = 156;
inline constexpr size_t kLinkOff = 157, kLinkLen = 100;
inline constexpr size_t kMagicOff = 257, kVersionOff = 263;
inline constexpr size_t kUserOff = 265, kGroupOff = 297, kOwnerLen = 32;
inline constexpr size_t kPrefixOff = 345, kPrefixLen = 155;

}  // namespace hasteward::core::ustar
