#include "verify/report.h"

#include <gtest/gtest.h>

namespace hasteward::verify {
namespace {

TEST(ReportTest, RoundTripsEveryField) {
  VerificationReport r;
  r.snapshot_id = std::string(64, 'a');
  r.engine = "cnpg";
  r.cluster = "shop";
  r.ns = "test";
  r.started = "2026-01-01T00:00:00Z";
  r.finished = "2026-01-01T00:00:05Z";
  r.duration_seconds = 5.5;
  r.phase_seconds = {{"restore", 2.0}};
  r.ok = false;
  r.failures = {"dump is incomplete"};
  r.notes = {"amcheck: not available"};
  r.tables = {{"shop", "public.orders", 5000, "123", "ok"}};
  r.restored_bytes = 42;
  r.tool_version = "0.1.0";
  auto back = DecodeReport(EncodeReport(r));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->snapshot_id, r.snapshot_id);
  EXPECT_FALSE(back->ok);
  EXPECT_EQ(back->failures, r.failures);
  EXPECT_EQ(back->notes, r.notes);
  ASSERT_EQ(back->tables.size(), 1u);
  EXPECT_EQ(back->tables[0].rows, 5000);
  EXPECT_EQ(back->tables[0].table, "public.orders");
  EXPECT_EQ(back->phase_seconds.at("restore"), 2.0);
  EXPECT_EQ(back->restored_bytes, 42u);
}

TEST(ReportTest, VerdictIsWrittenAsText) {
  VerificationReport r;
  r.ok = true;
  EXPECT_NE(EncodeReport(r).find("\"verdict\": \"ok\""), std::string::npos);
}

TEST(ReportTest, GarbageIsCorruption) {
  EXPECT_EQ(DecodeReport("{nope").status().code(), core::ErrorCode::kCorruption);
  EXPECT_EQ(DecodeReport("{}").status().code(), core::ErrorCode::kCorruption);
}

}  // namespace
}  // namespace hasteward::verify
