#include "engine/trailer_check_source.h"

#include <string>

#include <gtest/gtest.h>

namespace hasteward::engine {
namespace {

std::unique_ptr<core::ByteSource> Mem(const std::string& s) {
  return std::make_unique<core::MemorySource>(core::Bytes(s.begin(), s.end()));
}

// Reads everything in small pieces; returns the data or the error.
core::Result<std::string> Drain(core::ByteSource& src, size_t piece = 7) {
  std::string out;
  std::vector<uint8_t> buf(piece);
  while (true) {
    HS_ASSIGN_OR_RETURN(size_t n, src.Read(buf));
    if (n == 0) {
      return out;
    }
    out.append(reinterpret_cast<const char*>(buf.data()), n);
  }
}

TEST(TrailerCheckSourceTest, PassesCompleteDumpThroughUnchanged) {
  std::string dump = "-- header\nCREATE TABLE t(x int);\n-- Dump completed on 2024-01-01\n";
  TrailerCheckSource src(Mem(dump), "mariadb-dump", "-- Dump completed");
  auto out = Drain(src);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, dump);
  EXPECT_TRUE(src.complete());
  EXPECT_EQ(src.bytes_read(), dump.size());
}

TEST(TrailerCheckSourceTest, MissingMarkerIsDumpFailedNotEndOfStream) {
  std::string dump = "-- header\nINSERT INTO t VALUES (1),(2)";  // cut mid-statement
  TrailerCheckSource src(Mem(dump), "pg_dumpall", "PostgreSQL database cluster dump complete",
                         [] { return std::string("pg_dump: error: connection lost\n"); });
  auto out = Drain(src);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), core::ErrorCode::kDumpFailed);
  EXPECT_NE(out.status().message().find("'pg_dumpall'"), std::string::npos);
  EXPECT_NE(out.status().message().find("without its end marker"), std::string::npos);
  EXPECT_NE(out.status().message().find("connection lost"), std::string::npos);
  // The failure sticks: a retry never turns it into a clean end of stream.
  std::vector<uint8_t> buf(16);
  EXPECT_EQ(src.Read(buf).status().code(), core::ErrorCode::kDumpFailed);
  EXPECT_FALSE(src.complete());
}

TEST(TrailerCheckSourceTest, EmptyStreamIsDumpFailed) {
  TrailerCheckSource src(Mem(""), "mariadb-dump", "-- Dump completed");
  auto out = Drain(src);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("produced no output"), std::string::npos);
}

TEST(TrailerCheckSourceTest, MarkerEarlierThanTheKeptTailDoesNotCount) {
  // A marker followed by more than kKeepBytes of data is not the end of the dump.
  std::string dump = "-- Dump completed\n" + std::string(TrailerCheckSource::kKeepBytes + 10, 'x');
  TrailerCheckSource src(Mem(dump), "mariadb-dump", "-- Dump completed");
  EXPECT_EQ(Drain(src, 1000).status().code(), core::ErrorCode::kDumpFailed);
}

TEST(TrailerCheckSourceTest, KeepsBoundedHeadAndTailOfLargeStream) {
  std::string dump = "HEAD" + std::string(1 << 20, 'y') + "-- Dump completed on x\n";
  TrailerCheckSource src(Mem(dump), "mariadb-dump", "-- Dump completed");
  auto out = Drain(src, 65536);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(src.head().size(), TrailerCheckSource::kKeepBytes);
  EXPECT_EQ(src.tail().size(), TrailerCheckSource::kKeepBytes);
  EXPECT_EQ(src.head().substr(0, 4), "HEAD");
  EXPECT_EQ(src.tail().substr(src.tail().size() - 23), "-- Dump completed on x\n");
}

TEST(TrailerCheckSourceTest, MarkerSplitAcrossReadsIsFound) {
  std::string dump = "data\n-- Dump completed on 2024\n";
  TrailerCheckSource src(Mem(dump), "mariadb-dump", "-- Dump completed");
  EXPECT_TRUE(Drain(src, 3).ok());
}

class FailingSource : public core::ByteSource {
 public:
  core::Result<size_t> Read(std::span<uint8_t> /*buf*/) override {
    return core::Status(core::ErrorCode::kDumpFailed, "'pg_dumpall' killed by signal 9");
  }
};

TEST(TrailerCheckSourceTest, InnerErrorPassesThrough) {
  TrailerCheckSource src(std::make_unique<FailingSource>(), "pg_dumpall", "complete");
  auto out = Drain(src);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("killed by signal 9"), std::string::npos);
}

}  // namespace
}  // namespace hasteward::engine
