#include "storage/backend_conformance.h"

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "storage/s3/sigv4.h"

namespace hasteward::storage::testing {

TestObject MakeTestObject(FileType type, size_t size, uint32_t seed) {
  std::mt19937 rng(seed);
  core::Bytes data(size);
  for (auto& b : data)
    b = static_cast<uint8_t>(rng());
  std::string name = type == FileType::kConfig ? "" : s3::Sha256Hex(data);
  return TestObject{Handle{type, name}, std::move(data)};
}

void BackendConformanceTest::SetUp() {
  backend_ = GetParam().make();
  ASSERT_NE(backend_, nullptr);
  auto st = backend_->Create();
  ASSERT_TRUE(st.ok()) << st.ToString();
}

namespace {

std::map<std::string, uint64_t> ListAll(Backend& b, FileType t) {
  std::map<std::string, uint64_t> out;
  auto st = b.List(t, [&](const FileInfo& fi) {
    out[fi.name] = fi.size;
    return core::Status::Ok();
  });
  EXPECT_TRUE(st.ok()) << st.ToString();
  return out;
}

void SaveOk(Backend& b, const TestObject& o) {
  auto st = b.Save(o.handle, o.data);
  ASSERT_TRUE(st.ok()) << st.ToString();
}

}  // namespace

TEST_P(BackendConformanceTest, SaveThenLoadReturnsTheSameBytes) {
  for (size_t size : {size_t{1}, size_t{4096}, size_t{5} << 20}) {
    auto o = MakeTestObject(FileType::kPack, size, static_cast<uint32_t>(size));
    SaveOk(*backend_, o);
    core::Bytes got;
    auto st = backend_->Load(o.handle, 0, 0, &got);
    ASSERT_TRUE(st.ok()) << st.ToString();
    EXPECT_EQ(got, o.data) << "size " << size;
  }
}

TEST_P(BackendConformanceTest, LoadReturnsExactlyTheRequestedRange) {
  auto o = MakeTestObject(FileType::kPack, 100000, 7);
  SaveOk(*backend_, o);
  core::Bytes got;
  ASSERT_TRUE(backend_->Load(o.handle, 1234, 5000, &got).ok());
  EXPECT_EQ(got, core::Bytes(o.data.begin() + 1234, o.data.begin() + 6234));
  ASSERT_TRUE(backend_->Load(o.handle, 99000, 0, &got).ok());  // from offset to the end
  EXPECT_EQ(got, core::Bytes(o.data.begin() + 99000, o.data.end()));
  ASSERT_TRUE(backend_->Load(o.handle, 0, 10, &got).ok());
  EXPECT_EQ(got, core::Bytes(o.data.begin(), o.data.begin() + 10));
}

TEST_P(BackendConformanceTest, LoadPastTheEndIsAnErrorNotAShortBuffer) {
  auto o = MakeTestObject(FileType::kPack, 1000, 8);
  SaveOk(*backend_, o);
  core::Bytes got;
  auto st = backend_->Load(o.handle, 900, 200, &got);
  EXPECT_FALSE(st.ok());
}

TEST_P(BackendConformanceTest, MissingObjectIsNotFound) {
  auto o = MakeTestObject(FileType::kIndex, 10, 9);
  core::Bytes got;
  EXPECT_EQ(backend_->Load(o.handle, 0, 0, &got).code(), core::ErrorCode::kNotFound);
  EXPECT_EQ(backend_->Stat(o.handle).status().code(), core::ErrorCode::kNotFound);
  EXPECT_EQ(backend_->Stat(Handle{FileType::kConfig, ""}).status().code(),
            core::ErrorCode::kNotFound);
}

TEST_P(BackendConformanceTest, StatReportsTheSize) {
  auto o = MakeTestObject(FileType::kSnapshot, 777, 10);
  SaveOk(*backend_, o);
  auto info = backend_->Stat(o.handle);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->size, 777u);
}

TEST_P(BackendConformanceTest, ListsEveryTypeWithNamesAndSizes) {
  std::map<FileType, std::map<std::string, uint64_t>> want;
  uint32_t seed = 100;
  for (FileType t :
       {FileType::kKey, FileType::kSnapshot, FileType::kIndex, FileType::kLock, FileType::kPack}) {
    int n = t == FileType::kPack ? 20 : 3;  // 20 packs land in many data/<xx>/ directories
    for (int i = 0; i < n; ++i) {
      auto o = MakeTestObject(t, 50 + seed % 97, seed);
      ++seed;
      SaveOk(*backend_, o);
      want[t][o.handle.name] = o.data.size();
    }
  }
  auto config = MakeTestObject(FileType::kConfig, 155, 1);
  SaveOk(*backend_, config);
  for (const auto& [t, objs] : want)
    EXPECT_EQ(ListAll(*backend_, t), objs) << FileTypeDir(t);
  auto cfg = backend_->Stat(config.handle);
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->size, 155u);
  core::Bytes got;
  ASSERT_TRUE(backend_->Load(config.handle, 0, 0, &got).ok());
  EXPECT_EQ(got, config.data);
}

TEST_P(BackendConformanceTest, ListOfAnEmptyTypeIsEmptyAndOk) {
  EXPECT_TRUE(ListAll(*backend_, FileType::kSnapshot).empty());
  EXPECT_TRUE(ListAll(*backend_, FileType::kPack).empty());
}

TEST_P(BackendConformanceTest, ListStopsAtTheCallbacksError) {
  for (uint32_t i = 0; i < 3; ++i)
    SaveOk(*backend_, MakeTestObject(FileType::kLock, 10, 200 + i));
  int calls = 0;
  auto st = backend_->List(FileType::kLock, [&](const FileInfo&) {
    ++calls;
    return core::Internal("stop here");
  });
  EXPECT_EQ(st.code(), core::ErrorCode::kInternal);
  EXPECT_EQ(calls, 1);
}

TEST_P(BackendConformanceTest, RemoveDeletesAndIsIdempotent) {
  auto o = MakeTestObject(FileType::kLock, 64, 11);
  SaveOk(*backend_, o);
  ASSERT_TRUE(backend_->Remove(o.handle).ok());
  EXPECT_EQ(backend_->Stat(o.handle).status().code(), core::ErrorCode::kNotFound);
  EXPECT_TRUE(backend_->Remove(o.handle).ok());
  EXPECT_TRUE(ListAll(*backend_, FileType::kLock).empty());
}

TEST_P(BackendConformanceTest, SavingAnExistingNameSucceeds) {
  auto o = MakeTestObject(FileType::kIndex, 300, 12);
  SaveOk(*backend_, o);
  SaveOk(*backend_, o);
  EXPECT_EQ(ListAll(*backend_, FileType::kIndex).size(), 1u);
}

TEST_P(BackendConformanceTest, CreateIsIdempotent) {
  auto o = MakeTestObject(FileType::kKey, 30, 13);
  SaveOk(*backend_, o);
  auto st = backend_->Create();
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(ListAll(*backend_, FileType::kKey).size(), 1u);
}

TEST_P(BackendConformanceTest, ConcurrentSavesAllLand) {
  constexpr int kThreads = 6;
  constexpr int kPerThread = 8;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  std::vector<std::string> errors(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto o =
            MakeTestObject(FileType::kPack, 20000 + i, static_cast<uint32_t>(1000 + t * 100 + i));
        auto st = backend_->Save(o.handle, o.data);
        if (!st.ok())
          errors[t] = st.ToString();
      }
    });
  }
  for (auto& th : threads)
    th.join();
  for (const auto& e : errors)
    EXPECT_EQ(e, "");
  EXPECT_EQ(ListAll(*backend_, FileType::kPack).size(), static_cast<size_t>(kThreads * kPerThread));
}

TEST_P(BackendConformanceTest, FailedSaveLeavesNoObject) {
  if (!GetParam().make_failing_writer)
    GTEST_FAIL() << "factory has no failing writer";
  auto failing = GetParam().make_failing_writer();
  auto o = MakeTestObject(FileType::kPack, 3 << 20, 14);
  auto st = failing->Save(o.handle, o.data);
  EXPECT_FALSE(st.ok()) << "the failing writer should have failed";
  EXPECT_EQ(backend_->Stat(o.handle).status().code(), core::ErrorCode::kNotFound);
  EXPECT_TRUE(ListAll(*backend_, FileType::kPack).empty());
}

// A standby cursor (hasteward/standby-cursors/<standby>.json) is replaced whole by a refresh and
// listed under its own name, apart from restic's kinds. The REST protocol has no place for it:
// that driver refuses to store one (with what to do) and lists none.
TEST_P(BackendConformanceTest, StandbyCursorsAreReplacedAndListedByName) {
  Handle cursor{FileType::kStandbyCursor, "shop-dr.json"};
  core::Bytes first = {'o', 'n', 'e'}, second = {'t', 'w', 'o', '!'};
  core::Status saved = backend_->Save(cursor, first);
  if (GetParam().name == "Rest") {
    EXPECT_EQ(saved.code(), core::ErrorCode::kStorage);
    EXPECT_NE(saved.hint().find("S3"), std::string::npos) << saved.ToString();
    EXPECT_TRUE(ListAll(*backend_, FileType::kStandbyCursor).empty());
    return;
  }
  ASSERT_TRUE(saved.ok()) << saved.ToString();
  ASSERT_TRUE(backend_->Save(cursor, second).ok());
  core::Bytes got;
  ASSERT_TRUE(backend_->Load(cursor, 0, 0, &got).ok());
  EXPECT_EQ(got, second);
  EXPECT_EQ(ListAll(*backend_, FileType::kStandbyCursor),
            (std::map<std::string, uint64_t>{{"shop-dr.json", 4}}));
  EXPECT_TRUE(ListAll(*backend_, FileType::kSnapshot).empty());
  ASSERT_TRUE(backend_->Remove(cursor).ok());
  EXPECT_TRUE(ListAll(*backend_, FileType::kStandbyCursor).empty());
}

// The archive index (hasteward/archive-index/) is stored like a cursor where the protocol allows;
// REST refuses it with kUsage, which its writers tell from a failed write (readers then use the
// snapshots).
TEST_P(BackendConformanceTest, ArchiveIndexFilesAreStoredApartOrRefusedByRest) {
  Handle part{FileType::kArchiveIndex, "0123abcd-s-ff00.idx"};
  core::Bytes data = {'i', 'd', 'x'};
  core::Status saved = backend_->Save(part, data);
  if (GetParam().name == "Rest") {
    EXPECT_EQ(saved.code(), core::ErrorCode::kUsage) << saved.ToString();
    EXPECT_TRUE(ListAll(*backend_, FileType::kArchiveIndex).empty());
    return;
  }
  ASSERT_TRUE(saved.ok()) << saved.ToString();
  EXPECT_EQ(ListAll(*backend_, FileType::kArchiveIndex),
            (std::map<std::string, uint64_t>{{"0123abcd-s-ff00.idx", 3}}));
  EXPECT_TRUE(ListAll(*backend_, FileType::kStandbyCursor).empty());
  ASSERT_TRUE(backend_->Remove(part).ok());
  EXPECT_TRUE(ListAll(*backend_, FileType::kArchiveIndex).empty());
}

// The index's buckets live in their own directory (hasteward/archive-buckets/): listing the
// summaries and deltas never lists them, and REST refuses them like the rest of the index.
TEST_P(BackendConformanceTest, ArchiveBucketsAreListedApartFromTheIndex) {
  Handle bucket{FileType::kArchiveBucket, "0123abcd-b-00000001-0000000000000000-ff00.idx"};
  core::Bytes data = {'b', 'k', 't'};
  core::Status saved = backend_->Save(bucket, data);
  if (GetParam().name == "Rest") {
    EXPECT_EQ(saved.code(), core::ErrorCode::kUsage) << saved.ToString();
    EXPECT_TRUE(ListAll(*backend_, FileType::kArchiveBucket).empty());
    return;
  }
  ASSERT_TRUE(saved.ok()) << saved.ToString();
  EXPECT_EQ(ListAll(*backend_, FileType::kArchiveBucket),
            (std::map<std::string, uint64_t>{{bucket.name, 3}}));
  EXPECT_TRUE(ListAll(*backend_, FileType::kArchiveIndex).empty());
  ASSERT_TRUE(backend_->Remove(bucket).ok());
  EXPECT_TRUE(ListAll(*backend_, FileType::kArchiveBucket).empty());
}

// A WAL receiver's pieces live in hasteward/wal-stream/; REST refuses them as storage (the
// receiver then never confirms the bytes), never silently.
TEST_P(BackendConformanceTest, WalStreamPiecesAreStoredApartAndRestRefusesThem) {
  Handle piece{FileType::kWalStream,
               "0123abcd-00000001-0000000000000003-00000000-00000010-ff00.piece"};
  core::Bytes data = {'w', 'a', 'l'};
  core::Status saved = backend_->Save(piece, data);
  if (GetParam().name == "Rest") {
    EXPECT_EQ(saved.code(), core::ErrorCode::kStorage) << saved.ToString();
    EXPECT_TRUE(ListAll(*backend_, FileType::kWalStream).empty());
    return;
  }
  ASSERT_TRUE(saved.ok()) << saved.ToString();
  EXPECT_EQ(ListAll(*backend_, FileType::kWalStream),
            (std::map<std::string, uint64_t>{{piece.name, 3}}));
  EXPECT_TRUE(ListAll(*backend_, FileType::kArchiveIndex).empty());
  ASSERT_TRUE(backend_->Remove(piece).ok());
  EXPECT_TRUE(ListAll(*backend_, FileType::kWalStream).empty());
}

TEST(StorageNamesTest, WalStreamNamesEndInPiece) {
  EXPECT_TRUE(IsValidName(FileType::kWalStream, "0123-00000001-00-00-10-ab.piece"));
  EXPECT_FALSE(IsValidName(FileType::kWalStream, "0123-00000001.idx"));
  EXPECT_FALSE(IsValidName(FileType::kWalStream, "0123.piece.tmp-1234"));
  EXPECT_FALSE(IsValidName(FileType::kWalStream, "-0123.piece"));
}

TEST(StorageNamesTest, ArchiveIndexNamesEndInIdxAndAreNeverTempFiles) {
  EXPECT_TRUE(IsValidName(FileType::kArchiveIndex, "0123abcd-d-00ff.idx"));
  EXPECT_FALSE(IsValidName(FileType::kArchiveIndex, "0123abcd-d-00ff.idx.tmp-ab12"));
  EXPECT_FALSE(IsValidName(FileType::kArchiveIndex, ".idx"));
  EXPECT_FALSE(IsValidName(FileType::kArchiveIndex, "-a.idx"));
  EXPECT_FALSE(IsValidName(FileType::kArchiveIndex, "../a.idx"));
  EXPECT_FALSE(IsValidName(FileType::kArchiveIndex, std::string(125, 'a') + ".idx"));
}

TEST(StorageNamesTest, CursorNamesAreStandbyNamesWithJson) {
  EXPECT_TRUE(IsValidName(FileType::kStandbyCursor, "shop-dr.json"));
  EXPECT_FALSE(IsValidName(FileType::kStandbyCursor, "shop-dr.json.tmp-ab12"));
  EXPECT_FALSE(IsValidName(FileType::kStandbyCursor, ".json"));
  EXPECT_FALSE(IsValidName(FileType::kStandbyCursor, "../x.json"));
  EXPECT_TRUE(IsValidName(FileType::kSnapshot, std::string(64, 'a')));
  EXPECT_FALSE(IsValidName(FileType::kSnapshot, "shop-dr.json"));
}

}  // namespace hasteward::storage::testing
