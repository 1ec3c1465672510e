#include "core/status.h"

#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <string>

#include <gtest/gtest.h>

#include "support/source_dir.h"

namespace hasteward::core {
namespace {

// docs/exit-codes.md of the checkout the tests were built from.
std::string ExitCodesDocPath() {
  return hasteward::testing::SourceDir() + "/docs/exit-codes.md";
}

// The "| code | name | meaning |" table of docs/exit-codes.md as code -> name.
std::map<int, std::string> ReadExitCodeTable() {
  std::ifstream in(ExitCodesDocPath());
  std::map<int, std::string> table;
  std::regex row(R"(^\|\s*(\d+)\s*\|\s*([a-z-]+)\s*\|)");
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_search(line, m, row)) {
      table[std::stoi(m[1].str())] = m[2].str();
    }
  }
  return table;
}

Status FailWith(ErrorCode code) {
  return {code, "it failed", "do something"};
}

Status TwoSteps(bool fail_first, bool* reached_second) {
  HS_TRY(fail_first ? FailWith(ErrorCode::kLocked) : Status::Ok());
  *reached_second = true;
  HS_TRY(FailWith(ErrorCode::kStorage));
  return Status::Ok();
}

Result<int> Half(int v) {
  if (v % 2 != 0) {
    return Usage("value " + std::to_string(v) + " is odd", "pass an even value");
  }
  return v / 2;
}

Result<int> Quarter(int v, int* steps) {
  HS_ASSIGN_OR_RETURN(int h, Half(v));
  ++*steps;
  HS_ASSIGN_OR_RETURN(int q, Half(h));
  ++*steps;
  return q;
}

Result<std::unique_ptr<std::string>> MakeBoxed(bool fail) {
  if (fail) {
    return NotFound("box 'x' does not exist");
  }
  return std::make_unique<std::string>("boxed");
}

Status UseBoxed(bool fail, std::string* out) {
  HS_ASSIGN_OR_RETURN(auto box, MakeBoxed(fail));
  *out = *box;
  return Status::Ok();
}

TEST(StatusTest, DefaultIsOkWithEmptyTexts) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), ErrorCode::kOk);
  EXPECT_EQ(s.message(), "");
  EXPECT_EQ(s.hint(), "");
  EXPECT_FALSE(s.retryable());
  EXPECT_FALSE(s.data_loss());
  EXPECT_EQ(s.ToString(), "ok");
  EXPECT_TRUE(Status::Ok().ok());
}

TEST(StatusTest, ConstructedWithCodeOkIsOk) {
  Status s(ErrorCode::kOk, "ignored");
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.message(), "");
}

TEST(StatusTest, ErrorCarriesCodeMessageAndHint) {
  Status s(ErrorCode::kWrongPassword, "no key opens repository 'r'", "check --password-file");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), ErrorCode::kWrongPassword);
  EXPECT_EQ(s.message(), "no key opens repository 'r'");
  EXPECT_EQ(s.hint(), "check --password-file");
  EXPECT_EQ(s.ToString(), "no key opens repository 'r'\nHINT: check --password-file");
}

TEST(StatusTest, ToStringWithoutHintIsTheMessageAlone) {
  Status s(ErrorCode::kInternal, "boom");
  EXPECT_EQ(s.ToString(), "boom");
  EXPECT_EQ(s.ToString().find("HINT"), std::string::npos);
}

TEST(StatusTest, WrapPrefixesContextAndKeepsCodeHintAndFlags) {
  Status s = StorageError("read 'data/ab': input/output error", /*retryable=*/true);
  s.WithHint("retry later").SetDataLoss();
  s.Wrap("load pack 'ab12'").Wrap("restore snapshot 'cd34'");
  EXPECT_EQ(s.code(), ErrorCode::kStorage);
  EXPECT_EQ(s.message(),
            "restore snapshot 'cd34': load pack 'ab12': read 'data/ab': input/output error");
  EXPECT_EQ(s.hint(), "retry later");
  EXPECT_TRUE(s.retryable());
  EXPECT_TRUE(s.data_loss());
}

TEST(StatusTest, ModifiersOnOkStatusKeepItOk) {
  Status s;
  s.Wrap("context").WithHint("hint").SetRetryable().SetDataLoss();
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.message(), "");
  EXPECT_EQ(s.hint(), "");
  EXPECT_FALSE(s.retryable());
  EXPECT_FALSE(s.data_loss());
}

TEST(StatusTest, CopyIsDeepAndIndependent) {
  Status a(ErrorCode::kCorruption, "pack 'ab' hash mismatch", "run repo check");
  Status b = a;
  b.Wrap("outer").WithHint("other");
  EXPECT_EQ(a.message(), "pack 'ab' hash mismatch");
  EXPECT_EQ(a.hint(), "run repo check");
  EXPECT_EQ(b.message(), "outer: pack 'ab' hash mismatch");
  EXPECT_EQ(b.code(), ErrorCode::kCorruption);

  Status c;
  c = a;
  EXPECT_EQ(c.code(), ErrorCode::kCorruption);
  c = Status();
  EXPECT_TRUE(c.ok());
  EXPECT_FALSE(a.ok());
}

TEST(StatusTest, ConvenienceConstructorsSetCodesAndFlags) {
  EXPECT_EQ(Internal("x").code(), ErrorCode::kInternal);
  Status u = Usage("flag '--x' is unknown", "see --help");
  EXPECT_EQ(u.code(), ErrorCode::kUsage);
  EXPECT_EQ(u.hint(), "see --help");
  EXPECT_EQ(NotFound("snapshot 'ab' does not exist").code(), ErrorCode::kNotFound);
  Status c = Corruption("blob 'ab' is damaged");
  EXPECT_EQ(c.code(), ErrorCode::kCorruption);
  EXPECT_TRUE(c.data_loss());
  EXPECT_FALSE(c.retryable());
  EXPECT_FALSE(StorageError("disk full").retryable());
  EXPECT_TRUE(StorageError("timeout", true).retryable());
  EXPECT_EQ(StorageError("x").code(), ErrorCode::kStorage);
}

TEST(StatusTest, HsTryReturnsTheFirstErrorAndStopsThere) {
  bool reached = false;
  Status s = TwoSteps(/*fail_first=*/true, &reached);
  EXPECT_EQ(s.code(), ErrorCode::kLocked);
  EXPECT_EQ(s.hint(), "do something");
  EXPECT_FALSE(reached);

  reached = false;
  s = TwoSteps(/*fail_first=*/false, &reached);
  EXPECT_TRUE(reached);
  EXPECT_EQ(s.code(), ErrorCode::kStorage);
}

TEST(ResultTest, HoldsValueOrError) {
  Result<int> v = 42;
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 42);
  EXPECT_EQ(v.value(), 42);
  EXPECT_TRUE(v.status().ok());
  EXPECT_TRUE(v.TakeStatus().ok());

  Result<int> e = NotFound("cluster 'c1' does not exist", "list clusters with 'hasteward triage'");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), ErrorCode::kNotFound);
  Status taken = e.TakeStatus();
  EXPECT_EQ(taken.message(), "cluster 'c1' does not exist");
  EXPECT_EQ(taken.hint(), "list clusters with 'hasteward triage'");
}

TEST(ResultTest, ConstructedFromOkStatusBecomesInternalError) {
  Result<int> r = Status::Ok();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInternal);
  EXPECT_NE(r.status().message().find("ok status"), std::string::npos);
}

TEST(ResultTest, ArrowAndMoveOut) {
  Result<std::string> r = std::string("hello");
  EXPECT_EQ(r->size(), 5U);
  std::string moved = std::move(r).value();
  EXPECT_EQ(moved, "hello");
}

TEST(ResultTest, AssignOrReturnPropagatesErrorAndStops) {
  int steps = 0;
  Result<int> ok = Quarter(12, &steps);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(*ok, 3);
  EXPECT_EQ(steps, 2);

  steps = 0;
  Result<int> first = Quarter(7, &steps);
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.status().code(), ErrorCode::kUsage);
  EXPECT_EQ(first.status().message(), "value 7 is odd");
  EXPECT_EQ(first.status().hint(), "pass an even value");
  EXPECT_EQ(steps, 0);

  steps = 0;
  Result<int> second = Quarter(6, &steps);  // 6 -> 3, then 3 is odd
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().message(), "value 3 is odd");
  EXPECT_EQ(steps, 1);
}

TEST(ResultTest, AssignOrReturnWorksForMoveOnlyValuesAndStatusReturn) {
  std::string out;
  ASSERT_TRUE(UseBoxed(false, &out).ok());
  EXPECT_EQ(out, "boxed");
  out.clear();
  Status s = UseBoxed(true, &out);
  EXPECT_EQ(s.code(), ErrorCode::kNotFound);
  EXPECT_EQ(out, "");
}

// The enum value is the process exit code; it must agree with the documented table, row for row.
TEST(ErrorCodeTest, ValuesAndNamesMatchDocsExitCodesTable) {
  std::map<int, std::string> doc = ReadExitCodeTable();
  ASSERT_FALSE(doc.empty()) << "no table rows parsed from " << ExitCodesDocPath();
  const ErrorCode all[] = {
      ErrorCode::kOk,
      ErrorCode::kInternal,
      ErrorCode::kUsage,
      ErrorCode::kIncompleteInput,
      ErrorCode::kHealthDegraded,
      ErrorCode::kSplitBrain,
      ErrorCode::kRepoNotFound,
      ErrorCode::kLocked,
      ErrorCode::kWrongPassword,
      ErrorCode::kCorruption,
      ErrorCode::kStorage,
      ErrorCode::kNotFound,
      ErrorCode::kUnreachable,
      ErrorCode::kAuthFailed,
      ErrorCode::kDumpFailed,
      ErrorCode::kSafetyStop,
      ErrorCode::kNoDonor,
      ErrorCode::kConfirmationRequired,
      ErrorCode::kTimeout,
      ErrorCode::kVerifyFailed,
      ErrorCode::kAlreadyExists,
      ErrorCode::kNewerData,
      ErrorCode::kInterrupted,
      ErrorCode::kTerminated,
  };
  for (ErrorCode c : all) {
    int value = static_cast<int>(c);
    ASSERT_TRUE(doc.count(value)) << "code " << value << " (" << ErrorCodeName(c)
                                  << ") is missing from docs/exit-codes.md";
    EXPECT_EQ(doc[value], ErrorCodeName(c)) << "code " << value;
  }
  EXPECT_EQ(doc.size(), std::size(all)) << "docs/exit-codes.md lists a code the enum lacks";
}

TEST(ErrorCodeTest, ResticCompatibleAndKeyCodesHaveFixedValues) {
  EXPECT_EQ(static_cast<int>(ErrorCode::kIncompleteInput), 3);
  EXPECT_EQ(static_cast<int>(ErrorCode::kRepoNotFound), 10);
  EXPECT_EQ(static_cast<int>(ErrorCode::kLocked), 11);
  EXPECT_EQ(static_cast<int>(ErrorCode::kWrongPassword), 12);
  EXPECT_EQ(static_cast<int>(ErrorCode::kDumpFailed), 23);
  EXPECT_EQ(static_cast<int>(ErrorCode::kSafetyStop), 24);
  EXPECT_EQ(static_cast<int>(ErrorCode::kInterrupted), 130);
  EXPECT_EQ(static_cast<int>(ErrorCode::kTerminated), 143);
  EXPECT_STREQ(ErrorCodeName(ErrorCode::kWrongPassword), "wrong-password");
  EXPECT_STREQ(ErrorCodeName(static_cast<ErrorCode>(99)), "unknown");
}

}  // namespace
}  // namespace hasteward::core
