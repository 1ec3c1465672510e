#include "repo/maintenance/retention_time.h"

#include <gtest/gtest.h>

namespace hasteward::repo {
namespace {

SnapshotTime Parse(const std::string& text) {
  core::Result<SnapshotTime> t = ParseRfc3339Nano(text);
  EXPECT_TRUE(t.ok()) << text << ": " << t.status().ToString();
  return t.ok() ? *t : SnapshotTime();
}

TEST(RetentionTimeTest, ParsesUtcAndOffsetsToTheSameInstants) {
  EXPECT_EQ(Parse("2023-01-04T03:00:00Z").unix_seconds(), 1672801200);
  const SnapshotTime ny = Parse("2023-01-03T22:00:00-05:00");
  EXPECT_EQ(ny.unix_seconds(), 1672801200);
  EXPECT_EQ(ny.offset_seconds(), -5 * 3600);
  // The wall clock stays in the stored offset.
  EXPECT_EQ(ny.Year(), 2023);
  EXPECT_EQ(ny.Month(), 1);
  EXPECT_EQ(ny.Day(), 3);
  EXPECT_EQ(ny.Hour(), 22);
  const SnapshotTime india = Parse("2023-07-02T03:04:05+05:30");
  EXPECT_EQ(india.unix_seconds(), 1688247245);
  EXPECT_EQ(india.Day(), 2);
  EXPECT_EQ(india.Minute(), 4);
}

TEST(RetentionTimeTest, ParsesFractionsLikeGo) {
  EXPECT_EQ(Parse("2023-01-02T03:04:05.5Z").nanos(), 500000000);
  EXPECT_EQ(Parse("2023-01-02T03:04:05.123456789+01:00").nanos(), 123456789);
  // Go keeps the first nine digits and ignores the rest; it also accepts a comma.
  EXPECT_EQ(Parse("2023-01-02T03:04:05.1234567899Z").nanos(), 123456789);
  EXPECT_EQ(Parse("2023-01-02T03:04:05,25Z").nanos(), 250000000);
}

TEST(RetentionTimeTest, RejectsWhatGoRejects) {
  for (const char* bad : {"2023-02-29T00:00:00Z", "2023-13-01T00:00:00Z", "2023-01-00T00:00:00Z",
                          "2023-01-01T24:00:00Z", "2023-01-01T00:60:00Z", "2023-01-01T00:00:60Z",
                          "2023-01-01t00:00:00Z", "2023-01-01T00:00:00", "2023-01-01T00:00:00z",
                          "2023-01-01T00:00:00+0100", "2023-01-01T00:00:00Z ", "23-01-01T00:00:00Z",
                          "2023-01-01T00:00:00.Z", ""}) {
    core::Result<SnapshotTime> t = ParseRfc3339Nano(bad);
    EXPECT_FALSE(t.ok()) << bad;
    if (!t.ok()) {
      EXPECT_EQ(t.status().code(), core::ErrorCode::kUsage);
    }
  }
  EXPECT_TRUE(ParseRfc3339Nano("2024-02-29T23:59:59Z").ok());
  EXPECT_TRUE(ParseRfc3339Nano("2000-02-29T00:00:00Z").ok());
  EXPECT_FALSE(ParseRfc3339Nano("1900-02-29T00:00:00Z").ok());
}

TEST(RetentionTimeTest, FormatsLikeGoRfc3339Nano) {
  for (const char* text : {"2023-01-02T03:04:05Z", "2023-01-03T22:00:00-05:00",
                           "2023-07-02T03:04:05.1+05:30", "1999-12-31T23:59:59.000000001-00:30"}) {
    EXPECT_EQ(Parse(text).Format(), text);
  }
  EXPECT_EQ(Parse("2023-01-02T03:04:05.120000000+00:00").Format(), "2023-01-02T03:04:05.12Z");
}

TEST(RetentionTimeTest, IsoWeeksAtYearBoundaries) {
  struct Case {
    const char* time;
    int year;
    int week;
  };
  const Case cases[] = {
      {"2023-01-01T12:00:00Z", 2022, 52},  // Sunday belongs to the last week of 2022
      {"2023-01-02T12:00:00Z", 2023, 1},   // Monday starts week 1
      {"2021-01-03T12:00:00Z", 2020, 53},  // 2020 has 53 weeks
      {"2020-12-31T12:00:00Z", 2020, 53},
      {"2024-12-30T12:00:00Z", 2025, 1},   // Monday in December already in 2025's week 1
      {"2026-01-01T12:00:00Z", 2026, 1},   // Thursday
      {"2027-01-01T12:00:00Z", 2026, 53},  // Friday
      {"2023-06-15T12:00:00Z", 2023, 24},
  };
  for (const Case& c : cases) {
    int year = 0, week = 0;
    Parse(c.time).IsoWeek(&year, &week);
    EXPECT_EQ(year, c.year) << c.time;
    EXPECT_EQ(week, c.week) << c.time;
  }
}

TEST(RetentionTimeTest, IsoWeekUsesTheStoredOffset) {
  // The same instant: Sunday 23:30 at -01:00, Monday 00:30 in UTC.
  int year = 0, week = 0;
  Parse("2023-01-01T23:30:00-01:00").IsoWeek(&year, &week);
  EXPECT_EQ(year * 100 + week, 202252);
  Parse("2023-01-02T00:30:00Z").IsoWeek(&year, &week);
  EXPECT_EQ(year * 100 + week, 202301);
}

TEST(RetentionTimeTest, AddDateNormalisesLikeGo) {
  EXPECT_EQ(Parse("2023-03-31T10:00:00+02:00").AddDate(0, -1, 0).Format(),
            "2023-03-03T10:00:00+02:00");
  EXPECT_EQ(Parse("2024-02-29T00:00:00Z").AddDate(-1, 0, 0).Format(), "2023-03-01T00:00:00Z");
  EXPECT_EQ(Parse("2023-01-01T05:00:00-05:00").AddDate(0, 0, -1).Format(),
            "2022-12-31T05:00:00-05:00");
  EXPECT_EQ(Parse("2023-01-15T00:00:00Z").AddDate(0, -13, -15).Format(), "2021-11-30T00:00:00Z");
  EXPECT_EQ(Parse("2023-01-01T00:00:00Z").AddSeconds(-3600).Format(), "2022-12-31T23:00:00Z");
}

TEST(RetentionTimeTest, DaysFromCivilHandlesNegativeYearsAndEpoch) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(1969, 12, 31), -1);
  EXPECT_EQ(DaysFromCivil(1, 1, 1), -719162);
  EXPECT_EQ(DaysFromCivil(2023, 13, 1), DaysFromCivil(2024, 1, 1));
  EXPECT_EQ(SnapshotTime(-62135596800, 0, 0).Format(), "0001-01-01T00:00:00Z");
}

}  // namespace
}  // namespace hasteward::repo
