#include "core/file_sink.h"

#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "core/subprocess.h"
#include "core/temp_dir.h"

namespace hasteward::core {
// Its own namespace: a helper's name is also another test file's (unity batches, CMakeLists.txt).
namespace file_sink_test {
namespace {

namespace fs = std::filesystem;

SubprocessOptions Cmd(std::vector<std::string> argv) {
  SubprocessOptions o;
  o.argv = std::move(argv);
  return o;
}

std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) {
    names.push_back(e.path().filename().string());
  }
  return names;
}

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path);
  out << content;
}

// Text that compresses like a dump, with some random bytes so it is not trivial.
std::string DumpLikeText(size_t size) {
  std::mt19937 rng(7);
  std::string s;
  while (s.size() < size) {
    s += "INSERT INTO t VALUES (" + std::to_string(rng()) + ", 'row');\n";
  }
  s.resize(size);
  return s;
}

// A sink that records what reaches it and whether it was closed; shared so tests can look after
// ownership moved into a GzipSink.
struct Recorded {
  Bytes data;
  bool closed = false;
};
class RecordingSink : public ByteSink {
 public:
  explicit RecordingSink(std::shared_ptr<Recorded> r) : r_(std::move(r)) {}
  Status Write(ByteView data) override {
    r_->data.insert(r_->data.end(), data.begin(), data.end());
    return Status::Ok();
  }
  Status Close() override {
    r_->closed = true;
    return Status::Ok();
  }

 private:
  std::shared_ptr<Recorded> r_;
};

// A source that returns its bytes and then fails (a producer that died).
class FailingSource : public ByteSource {
 public:
  explicit FailingSource(Bytes data) : mem_(std::move(data)) {}
  Result<size_t> Read(std::span<uint8_t> buf) override {
    HS_ASSIGN_OR_RETURN(size_t n, mem_.Read(buf));
    if (n == 0) {
      return Status(ErrorCode::kDumpFailed, "'producer' exited with status 1");
    }
    return n;
  }

 private:
  MemorySource mem_;
};

Bytes Gzip(const std::string& text, size_t write_size = 65536) {
  auto rec = std::make_shared<Recorded>();
  GzipSink gz(std::make_unique<RecordingSink>(rec));
  for (size_t off = 0; off < text.size(); off += write_size) {
    EXPECT_TRUE(gz.Write(AsBytes(text).subspan(off, std::min(write_size, text.size() - off))).ok());
  }
  EXPECT_TRUE(gz.Close().ok());
  EXPECT_TRUE(rec->closed);
  return rec->data;
}

Status Gunzip(std::unique_ptr<ByteSource> in, std::string* out) {
  GunzipSource src(std::move(in));
  std::vector<uint8_t> buf(10000);  // odd size: output spans many reads
  while (true) {
    HS_ASSIGN_OR_RETURN(size_t n, src.Read(buf));
    if (n == 0) {
      return Status::Ok();
    }
    out->append(reinterpret_cast<const char*>(buf.data()), n);
  }
}

TEST(AtomicFileSinkTest, ContentAppearsOnlyOnClose) {
  auto dir = TempDir::Create("hs-file-sink-test-");
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  std::string path = dir->path() + "/export.sql";
  // The export command's options (tests/integration/cli_surface_test checks the command itself).
  auto sink = AtomicFileSink::Create(path, {.mode = 0600});
  ASSERT_TRUE(sink.ok()) << sink.status().ToString();
  ASSERT_TRUE((*sink)->Write(AsBytes("CREATE TABLE t (a int);\n")).ok());
  EXPECT_FALSE(fs::exists(path)) << "final name visible before Close";
  ASSERT_TRUE((*sink)->Write(AsBytes("INSERT INTO t VALUES (1);\n")).ok());
  Status s = (*sink)->Close();
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto content = ReadFileToString(path);
  ASSERT_TRUE(content.ok()) << content.status().ToString();
  EXPECT_EQ(*content, "CREATE TABLE t (a int);\nINSERT INTO t VALUES (1);\n");
  EXPECT_EQ(ListDir(dir->path()), std::vector<std::string>{"export.sql"}) << "temp file left";
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U) << "exports hold password hashes: owner only";
  EXPECT_TRUE((*sink)->Close().ok()) << "a second Close is a no-op";
  EXPECT_FALSE((*sink)->Write(AsBytes("late")).ok()) << "write after Close must fail";
  sink->reset();
  EXPECT_TRUE(fs::exists(path)) << "destroying a committed sink removed the file";
}

TEST(AtomicFileSinkTest, AbandonedSinkLeavesNoFile) {
  auto dir = TempDir::Create("hs-file-sink-test-");
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  std::string path = dir->path() + "/export.sql";
  {
    auto sink = AtomicFileSink::Create(path);
    ASSERT_TRUE(sink.ok()) << sink.status().ToString();
    ASSERT_TRUE((*sink)->Write(AsBytes(std::string(1 << 20, 'x'))).ok());
    EXPECT_EQ(ListDir(dir->path()).size(), 1U);  // the temp file
  }
  EXPECT_TRUE(ListDir(dir->path()).empty()) << "abandoned sink left a file";
}

TEST(AtomicFileSinkTest, AbandonedSinkKeepsThePreviousFileIntact) {
  auto dir = TempDir::Create("hs-file-sink-test-");
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  std::string path = dir->path() + "/export.sql";
  WriteFile(path, "previous complete export\n");
  {
    auto sink = AtomicFileSink::Create(path);
    ASSERT_TRUE(sink.ok()) << sink.status().ToString();
    ASSERT_TRUE((*sink)->Write(AsBytes("half of a new")).ok());
  }
  auto content = ReadFileToString(path);
  ASSERT_TRUE(content.ok());
  EXPECT_EQ(*content, "previous complete export\n");
  EXPECT_EQ(ListDir(dir->path()), std::vector<std::string>{"export.sql"});
}

TEST(AtomicFileSinkTest, CommitReplacesThePreviousFile) {
  auto dir = TempDir::Create("hs-file-sink-test-");
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  std::string path = dir->path() + "/export.sql";
  WriteFile(path, "old old old old old\n");
  auto sink = AtomicFileSink::Create(path);
  ASSERT_TRUE(sink.ok()) << sink.status().ToString();
  ASSERT_TRUE((*sink)->Write(AsBytes("new\n")).ok());
  ASSERT_TRUE((*sink)->Close().ok());
  auto content = ReadFileToString(path);
  ASSERT_TRUE(content.ok());
  EXPECT_EQ(*content, "new\n");
}

TEST(AtomicFileSinkTest, CreateInMissingDirectoryFails) {
  auto sink = AtomicFileSink::Create("/nonexistent/hasteward/export.sql");
  ASSERT_FALSE(sink.ok());
  EXPECT_NE(sink.status().message().find("/nonexistent/hasteward/export.sql"), std::string::npos)
      << sink.status().message();
}

TEST(GzipTest, RoundTripThroughGzipAndGunzip) {
  std::string text = DumpLikeText(3U << 20);
  Bytes gz = Gzip(text, 70001);
  EXPECT_LT(gz.size(), text.size() / 2);
  std::string out;
  Status s = Gunzip(std::make_unique<MemorySource>(gz), &out);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(out == text) << "round trip changed " << text.size() << " bytes into " << out.size();
}

TEST(GzipTest, EmptyInputRoundTrips) {
  Bytes gz = Gzip("");
  EXPECT_FALSE(gz.empty());  // header and trailer
  std::string out;
  Status s = Gunzip(std::make_unique<MemorySource>(gz), &out);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(out, "");
}

// GzipSink output is a real .gz: the system gzip reads it, and GunzipSource reads gzip's output.
TEST(GzipTest, InteroperatesWithSystemGzip) {
  auto dir = TempDir::Create("hs-file-sink-test-");
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  std::string text = DumpLikeText(1U << 20);
  std::string path = dir->path() + "/export.sql.gz";
  auto file = AtomicFileSink::Create(path);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  {
    GzipSink gz(std::move(*file), 6);
    ASSERT_TRUE(gz.Write(AsBytes(text)).ok());
    EXPECT_FALSE(fs::exists(path)) << "Close of the gzip sink commits the file, not before";
    ASSERT_TRUE(gz.Close().ok());
  }
  auto unzipped = RunChecked(Cmd({"gzip", "-dc", path}));
  ASSERT_TRUE(unzipped.ok()) << unzipped.status().ToString();
  EXPECT_TRUE(*unzipped == text);

  std::string plain = dir->path() + "/plain.sql";
  WriteFile(plain, text);
  auto p = Subprocess::Start(Cmd({"gzip", "-c", plain}));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  std::string out;
  Status s = Gunzip(std::make_unique<ProcessSource>(std::move(*p)), &out);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(out == text);
}

// `cat a.gz b.gz > c.gz` is a valid gzip file; gunzip yields both parts, and so must we.
TEST(GzipTest, GunzipReadsEveryMemberOfAConcatenatedFile) {
  std::string a = DumpLikeText(200000);
  std::string b = "-- second part\n" + DumpLikeText(300000);
  Bytes gz = Gzip(a);
  Bytes gz_b = Gzip(b);
  gz.insert(gz.end(), gz_b.begin(), gz_b.end());
  std::string out;
  Status s = Gunzip(std::make_unique<MemorySource>(gz), &out);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(out.size(), a.size() + b.size());
  EXPECT_TRUE(out == a + b);
}

TEST(GzipTest, TruncatedInputIsAnErrorNotEndOfStream) {
  std::string text = DumpLikeText(1U << 20);
  Bytes gz = Gzip(text);
  for (size_t keep : {gz.size() - 4, gz.size() / 2, size_t{5}}) {
    Bytes cut(gz.begin(), gz.begin() + static_cast<std::ptrdiff_t>(keep));
    std::string out;
    Status s = Gunzip(std::make_unique<MemorySource>(cut), &out);
    ASSERT_FALSE(s.ok()) << "gzip cut to " << keep << " of " << gz.size()
                         << " bytes read as a complete stream";
    EXPECT_EQ(s.code(), ErrorCode::kIncompleteInput) << s.ToString();
  }
}

TEST(GzipTest, EmptyInputIsNotAValidGzipStream) {
  std::string out;
  Status s = Gunzip(std::make_unique<MemorySource>(Bytes{}), &out);
  EXPECT_FALSE(s.ok());
}

TEST(GzipTest, CorruptInputIsCorruption) {
  std::string text = DumpLikeText(1U << 20);
  Bytes gz = Gzip(text);
  gz[gz.size() / 2] ^= 0xff;
  gz[gz.size() / 2 + 1] ^= 0xff;
  std::string out;
  Status s = Gunzip(std::make_unique<MemorySource>(gz), &out);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), ErrorCode::kCorruption) << s.ToString();

  std::string not_gzip = "plain SQL, not gzip\n";
  out.clear();
  s = Gunzip(std::make_unique<MemorySource>(Bytes(not_gzip.begin(), not_gzip.end())), &out);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), ErrorCode::kCorruption) << s.ToString();
}

TEST(GzipTest, InnerSourceErrorPassesThrough) {
  Bytes gz = Gzip(DumpLikeText(1U << 20));
  gz.resize(gz.size() / 2);  // the producer died half-way
  std::string out;
  Status s = Gunzip(std::make_unique<FailingSource>(gz), &out);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), ErrorCode::kDumpFailed) << s.ToString();
}

}  // namespace
}  // namespace file_sink_test
}  // namespace hasteward::core
