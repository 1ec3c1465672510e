#pragma once
// Test vector TV-4 of shared/docs/restic-format.md: a tiny repository written by restic 0.14.

namespace hasteward::repo::tv4 {

inline constexpr char kPassword[] = "testpw";
inline constexpr char kKeyFile[] =
    R"({"created":"2026-11-21T21:09:43.805499624Z","username":"root","hostname":"vm","kdf":"scrypt","N":32768,"r":8,"p":7,"salt":"LfbDkLoAoABn8kkQoJJmvcZNFZ6k6O97EiL9OyPe640mtp5UoHaLXqR54E8vHXdk/XyugQtgXCA9FSh4uuDEfg==","data":"ErTXljR8ejQ+1EfCuh11q2MHAYhaEzwv6MfyihDH3eAiRprwSZ139QlPaknpzqc22HAukg+YFrkbn8xg0jURJP0rZOtca+36652OxMkKC7CZGx0KbjfrSOBdmX5carfRE5R+gKi1lAgbioILHRU3mNhRbsfwob2bFTlH5sOI48QstEKFL3lHMheL3+1PkhE+NK84ids/7Rpmjb5rprJUSw=="})";
inline constexpr char kMasterKeyJson[] =
    R"({"mac":{"k":"P0aT4KePU8fenjdW7GsVtg==","r":"oGVTAIzo3AE8CcIOmCK9DA=="},"encrypt":"Ey5vu9N0o5e31HZGExzk7Azs81113DxL71FxjRAvWhs="})";
inline constexpr char kConfigHex[] =
    "dacf5a9a392cceaf50653eb3878a1b9bfe4019cfccecb931175c7bb79471ae9a52a61d25fe57a0c14d291d262bf0f3"
    "af"
    "403218aa4e0e849a279d26305e5a3b1acd0031dcbefa058cecf047b6f7b6161605f61188f4c66bb3c5991b8c53594b"
    "fe"
    "7d0ba22df3d578ca787fffa6f69e5c1a3fe5f185885f490d6c1b8ff58ed18bd7256d9c63b48a28bdc4df824d1629c4"
    "ed"
    "fb531de83dee866371cf5c";
inline constexpr char kConfigJson[] =
    R"({"version":2,"id":"6b6db29700f258cee6e5b5a4bc914912371ff050c0f3d5c6b7e5bbdfbd29f75a","chunker_polynomial":"3da3358b4dc173"})";
inline constexpr char kDataPackId[] =
    "953f8ba7bf64d21baa892a496a5594acb0e63c99d773ae0cfc4682147014fee0";
inline constexpr char kDataPackHex[] =
    "e6edd98076b2dfd73ed98f811c8e473831045019528f4b29be2826c4d807e58caf86561477d9d389c1b74ccaee8db9"
    "2d"
    "b6b7a5316aa04bca3cb9722ff1987485cbf02f2b683e9c86af9c5b4d49775062a31cfa88ca3235b00bbf756ead7a2f"
    "30"
    "b04c7e125fbf55e0c7827ae66ea3576f9e694b5f79dbab9249000000";
inline constexpr char kHelloBlobId[] =
    "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";
inline constexpr char kTreeId[] =
    "effabd55222ba7800b645aec3ca5a5749c305d231cae72ab869ecb427761d27c";
inline constexpr char kTreeJson[] =
    "{\"nodes\":[{\"name\":\"hello.txt\",\"type\":\"file\",\"mode\":420,\"mtime\":\"2023-01-02T03:"
    "04:"
    "05Z\",\"atime\":\"2023-01-02T03:04:05Z\",\"ctime\":\"2023-01-02T03:04:05Z\",\"uid\":0,\"gid\":"
    "0,"
    "\"size\":6,\"content\":[\"5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03\"]}"
    "]}"
    "\n";
inline constexpr char kSnapshotHex[] =
    "d3c53fbd9574fb8cd74b31098d28b08ffdcfd66dcfdf93c4166612be34affaf5b494826fa71fef66b8614760f40d01"
    "1d"
    "163234dd789aa6893ba514720461f164a64e6d0408e0e0da7673ba6ee5ac09984591111ab8ee9f5575eec3015e9a20"
    "ee"
    "5dc8047091f21087f5583005f21e565c3bf5fe781e50ab74f163c82dbcbe6759714b1dd8b4fa3e1f4af4dde6f40d6e"
    "c9"
    "3358ba75ddb4e226e77cfe817132849554786ad605a1cd6cbe87a38bae2f9bb18a2d8cc1331645ece79953";
inline constexpr char kSnapshotJson[] =
    R"({"time":"2023-01-02T03:04:05Z","tree":"effabd55222ba7800b645aec3ca5a5749c305d231cae72ab869ecb427761d27c","paths":["/hello.txt"],"hostname":"H","username":"root","tags":["a","b"]})";

}  // namespace hasteward::repo::tv4
