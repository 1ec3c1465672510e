// The synchronous receiver's loop (pitr/wal/wal_receiver.h) driven by a scripted replication
// source into a real local repository. Property test (seed printed): a WAL stream of random length
// from a random position, sent in messages of random sizes (some crossing segment boundaries,
// keepalives asking for replies between), received by a receiver that is stopped at a random
// point and started again on a source that, like a slot, resumes at its last confirmed position.
// Checked at every status update: the confirmed (flushed) position is never past what the
// repository holds, as pieces or as an archived segment. Checked at the end: every whole segment
// is archived with the stream's bytes, the last one is served (wal-fetch) as its stream's prefix
// zero-filled, and no piece of an archived segment is left.
#include <algorithm>
#include <filesystem>
#include <random>

#include <gtest/gtest.h>

#include "catalog/wal/wal_catalog.h"
#include "catalog/wal/wal_stream_store.h"
#include "core/fd.h"
#include "pitr/wal/wal_archive.h"
#include "pitr/wal/wal_dir_test.h"
#include "pitr/wal/wal_receiver.h"

namespace hasteward::pitr {
namespace {

// The stream the server would send: bytes from `first` (a segment's start) to `first + size`.
struct Script {
  uint64_t first = 0;
  core::Bytes bytes;
  uint64_t end() const { return first + bytes.size(); }
};

class WalReceiverLoopTest : public WalDirTest {
 protected:
  void SetUp() override { SetUpWalDir("hs-wal-receiver-", "rcv"); }

  // Whether the repository holds the stream up to `position`: the segment of its last byte is
  // archived whole or its pieces reach it without a hole (earlier segments were checked when the
  // position passed them, and nothing is removed before it is archived).
  bool Holds(uint64_t position) {
    if (position == 0) {
      return true;
    }
    const uint64_t last = position - 1;
    const uint64_t segment = last / kSegmentBytes;
    // The pieces first: they are removed only after the segment is archived, so when they are
    // gone the archive holds it (the consolidation runs beside this check).
    auto store = catalog::WalStreamStore::Open(*repo_, cluster_);
    if (store.ok() && catalog::ContiguousEnd(store->Pieces(1, segment)) > last % kSegmentBytes) {
      return true;
    }
    const std::string name = archiving_->SegmentFileName(1, segment);
    auto parsed = archiving_->ParseFileName(name);
    auto catalog = catalog::WalCatalog::LoadFiles(*repo_, cluster_, *archiving_, {*parsed});
    return catalog.ok() && catalog->Find(name) != nullptr;
  }

  // The bytes wal-fetch serves for a segment ("" when it is not served).
  core::Bytes Fetched(uint64_t segment) {
    const std::string name = archiving_->SegmentFileName(1, segment);
    const std::string path = dir_->path() + "/fetched-" + name;
    auto opener = [&]() -> core::Result<std::unique_ptr<repo::Repository>> {
      auto backend = storage::OpenBackend(RepoPath());
      if (!backend.ok()) {
        return backend.status();
      }
      return repo::Repository::Open(std::move(*backend), "pw");
    };
    WalFetchOptions options;
    options.prefetch = 0;
    auto fetched = FetchWal(opener, cluster_, *archiving_, name, path, options);
    if (!fetched.ok()) {
      return {};
    }
    auto text = core::ReadFileToString(path);
    return text.ok() ? core::Bytes(text->begin(), text->end()) : core::Bytes{};
  }
};

// Sends the script from where Start asked, in random pieces; records every status update and
// checks it against the repository.
class ScriptedStream : public engine::WalStream {
 public:
  ScriptedStream(const Script& script, uint64_t from, std::mt19937& rng,
                 std::function<void(uint64_t durable)> on_report)
      : script_(script), next_(from), rng_(rng), on_report_(std::move(on_report)) {}

  core::Result<engine::WalStreamEvent> Next(std::chrono::milliseconds /*wait*/) override {
    engine::WalStreamEvent event;
    if (next_ >= script_.end() || rng_() % 8 == 0) {
      if (rng_() % 2 == 0) {
        event.kind = engine::WalStreamEventKind::kKeepalive;
        event.server_end = script_.end();
        event.reply_requested = rng_() % 3 == 0;
      }
      return event;  // kNothing: a wait that ended empty
    }
    // Mostly commit-sized messages, sometimes a large one (a bulk write).
    const uint64_t size = rng_() % 10 == 0 ? 1 + rng_() % (3 * 1024 * 1024) : 1 + rng_() % 9000;
    const uint64_t n = std::min(size, script_.end() - next_);
    event.kind = engine::WalStreamEventKind::kData;
    event.start = next_;
    event.server_end = script_.end();
    const auto from = script_.bytes.begin() + static_cast<ptrdiff_t>(next_ - script_.first);
    event.data.assign(from, from + static_cast<ptrdiff_t>(n));
    next_ += n;
    sent_ = next_;
    return event;
  }
  core::Status Report(uint64_t received, uint64_t durable, bool /*reply*/) override {
    EXPECT_LE(durable, received);
    EXPECT_LE(received, sent_ == 0 ? received : sent_);
    on_report_(durable);
    return core::Status::Ok();
  }
  core::Result<std::string> TimelineHistory(uint32_t /*timeline*/) override {
    return core::Internal("the script has one timeline");
  }
  core::Status Restart(uint32_t /*timeline*/, uint64_t /*position*/) override {
    return core::Internal("the script has one timeline");
  }

 private:
  const Script& script_;
  uint64_t next_;
  uint64_t sent_ = 0;
  std::mt19937& rng_;
  std::function<void(uint64_t)> on_report_;
};

class ScriptedSource : public engine::WalStreamSource {
 public:
  ScriptedSource(const Script& script, engine::WalStreamOrigin origin, std::mt19937& rng,
                 std::function<void(uint64_t)> on_report)
      : script_(script), origin_(std::move(origin)), rng_(rng), on_report_(std::move(on_report)) {}
  const engine::WalStreamOrigin& origin() const override { return origin_; }
  core::Result<std::unique_ptr<engine::WalStream>> Start(uint32_t timeline,
                                                         uint64_t position) override {
    started_at = position;
    EXPECT_EQ(timeline, 1U);
    EXPECT_GE(position, script_.first);
    return std::unique_ptr<engine::WalStream>(
        std::make_unique<ScriptedStream>(script_, position, rng_, on_report_));
  }
  core::Result<std::string> TimelineHistory(uint32_t /*timeline*/) override {
    return core::Internal("the script has one timeline");
  }
  core::Status FallBack() override { return core::Internal("no outage in the script"); }
  core::Result<bool> Restore() override { return false; }

  uint64_t started_at = 0;

 private:
  const Script& script_;
  engine::WalStreamOrigin origin_;
  std::mt19937& rng_;
  std::function<void(uint64_t)> on_report_;
};

TEST_F(WalReceiverLoopTest, ConfirmsOnlyWhatIsStoredAndResumesWhereItConfirmed) {
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  Script script;
  script.first = (3 + rng() % 4) * kSegmentBytes;
  script.bytes.resize(kSegmentBytes + rng() % (2 * kSegmentBytes));
  for (auto& b : script.bytes) {
    b = static_cast<uint8_t>(rng());
  }
  const uint64_t start_offset = rng() % 4096;  // the server's position when the slot was made

  uint64_t confirmed = 0;
  int reports = 0;
  auto on_report = [&](uint64_t durable) {
    ++reports;
    EXPECT_TRUE(Holds(durable)) << "confirmed " << durable << " before the repository held it";
    EXPECT_GE(durable, confirmed) << "the confirmed position went back";
    confirmed = std::max(confirmed, durable);
  };

  // First run: stopped once it confirmed past a random point.
  const uint64_t stop_at = script.first + rng() % script.bytes.size();
  engine::WalStreamOrigin first{"7", 1, script.first + start_offset, 0, 0};
  ScriptedSource source(script, first, rng, on_report);
  WalReceiverOptions options;
  options.wait = std::chrono::milliseconds(0);
  options.merge_after = 4 + rng() % 8;
  options.stop = [&] {
    return confirmed >= stop_at;
  };
  ASSERT_TRUE(RunWalReceiverOn(*repo_, cluster_, *archiving_, source, "pg-0", options).ok());
  EXPECT_EQ(source.started_at, script.first) << "a new slot streams its segment from the start";

  // Second run: the slot kept everything from the last confirmed position.
  const uint64_t confirmed_first = confirmed;
  engine::WalStreamOrigin resumed{"7", 1, script.end(), confirmed_first, 1};
  ScriptedSource again(script, resumed, rng, on_report);
  options.stop = [&] {
    return confirmed >= script.end();
  };
  ASSERT_TRUE(RunWalReceiverOn(*repo_, cluster_, *archiving_, again, "pg-0", options).ok());
  // It resumes where its pieces of the slot's segment end: at the confirmed position or past it
  // (stored, not confirmed yet when it stopped), never before it.
  EXPECT_GE(again.started_at, confirmed_first) << "it resumed before what it had confirmed";
  EXPECT_EQ(confirmed, script.end());
  EXPECT_GT(reports, 2);

  // Every segment reads back as the stream: whole ones archived, the last one's prefix served.
  for (uint64_t segment = script.first / kSegmentBytes; segment * kSegmentBytes < script.end();
       ++segment) {
    SCOPED_TRACE("segment " + std::to_string(segment));
    const uint64_t begin = segment * kSegmentBytes;
    const uint64_t length = std::min<uint64_t>(kSegmentBytes, script.end() - begin);
    core::Bytes served = Fetched(segment);
    ASSERT_EQ(served.size(), kSegmentBytes);
    EXPECT_TRUE(std::equal(served.begin(), served.begin() + static_cast<ptrdiff_t>(length),
                           script.bytes.begin() + static_cast<ptrdiff_t>(begin - script.first)));
    EXPECT_TRUE(std::all_of(served.begin() + static_cast<ptrdiff_t>(length), served.end(),
                            [](uint8_t b) { return b == 0; }));
    auto store = catalog::WalStreamStore::Open(*repo_, cluster_);
    ASSERT_TRUE(store.ok());
    if (length == kSegmentBytes) {
      EXPECT_TRUE(store->Pieces(1, segment).empty()) << "an archived segment keeps no piece";
    } else {
      EXPECT_LE(store->Pieces(1, segment).size(), 40U) << "merges bound the pieces";
    }
  }
}

}  // namespace
}  // namespace hasteward::pitr
