// Per-stage throughput of the backup pipeline on SQL-like data (bytes/s per core): chunker,
// SHA-256, zstd at several levels, AES-256-CTR + Poly1305. Run: build/bench/hasteward_bench
#include <random>
#include <string>

#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include "repo/chunker/chunker.h"
#include "repo/compress/zstd_codec.h"
#include "repo/crypto/crypto.h"
#include "repo/crypto/scrypt.h"

namespace {

using hasteward::core::Bytes;

const Bytes& SqlLikeData() {
  static const Bytes kData = [] {
    std::mt19937 rng(1);
    std::string s;
    std::vector<std::string> words(2000);
    for (auto& w : words) {
      for (int i = 0; i < 8; ++i)
        w += static_cast<char>('a' + rng() % 26);
    }
    while (s.size() < (16u << 20)) {
      s += "INSERT INTO `sbtest1` VALUES (" + std::to_string(rng()) + "," +
           std::to_string(rng() % 100000) + ",'" + words[rng() % words.size()] + "-" +
           words[rng() % words.size()] + "','" + std::to_string(rng()) + std::to_string(rng()) +
           "');\n";
    }
    return Bytes(s.begin(), s.end());
  }();
  return kData;
}

void BmChunker(benchmark::State& state) {
  const Bytes& d = SqlLikeData();
  hasteward::repo::Chunker ch(0x3da3358b4dc173);
  for (auto _ : state) {
    size_t pos = 0;
    while (pos < d.size()) {
      bool cut = false;
      pos += ch.Scan(d.data() + pos, d.size() - pos, &cut);
    }
    ch.Reset();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * d.size()));
}
BENCHMARK(BmChunker);

void BmSha256(benchmark::State& state) {
  const Bytes& d = SqlLikeData();
  for (auto _ : state)
    benchmark::DoNotOptimize(hasteward::repo::Sha256(d));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * d.size()));
}
BENCHMARK(BmSha256);

void BmZstd(benchmark::State& state) {
  const Bytes& d = SqlLikeData();
  Bytes out;
  const size_t kChunk = 1 << 20;
  for (auto _ : state) {
    for (size_t pos = 0; pos < d.size(); pos += kChunk) {
      out.clear();
      hasteward::repo::ZstdCompressAppend(
          hasteward::core::ByteView(d.data() + pos, std::min(kChunk, d.size() - pos)),
          static_cast<int>(state.range(0)), &out);
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * d.size()));
}
BENCHMARK(BmZstd)->Arg(-3)->Arg(-1)->Arg(1)->Arg(3);

void BmEncrypt(benchmark::State& state) {
  const Bytes& d = SqlLikeData();
  auto key = hasteward::repo::MasterKey::Random();
  Bytes out;
  for (auto _ : state) {
    out.clear();
    hasteward::repo::EncryptAppend(key, d, &out);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * d.size()));
}
BENCHMARK(BmEncrypt);

}  // namespace

// Key derivation with restic's usual parameters (N=2^15, r=8, p=4): every command pays it once.
void BmScrypt(benchmark::State& state) {
  uint8_t out[64];
  std::string salt(64, 's');
  hasteward::core::ByteView sv(reinterpret_cast<const uint8_t*>(salt.data()), salt.size());
  for (auto _ : state) {
    auto st = hasteward::repo::Scrypt("password", sv, 32768, 8, 4, out, sizeof(out),
                                      static_cast<int>(state.range(0)));
    benchmark::DoNotOptimize(st);
  }
}
BENCHMARK(BmScrypt)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

void BmScryptOpenssl(benchmark::State& state) {
  uint8_t out[64];
  std::string salt(64, 's');
  for (auto _ : state) {
    benchmark::DoNotOptimize(EVP_PBE_scrypt("password", 8,
                                            reinterpret_cast<const unsigned char*>(salt.data()),
                                            salt.size(), 32768, 8, 4, 1ULL << 30, out, 64));
  }
}
BENCHMARK(BmScryptOpenssl)->Unit(benchmark::kMillisecond)->UseRealTime();
