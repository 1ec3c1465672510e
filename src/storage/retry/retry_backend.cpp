#include "storage/retry/retry_backend.h"

#include <algorithm>
#include <thread>
#include <vector>

#include "storage/http/http_client.h"

namespace hasteward::storage {

RetryBackend::RetryBackend(std::unique_ptr<Backend> inner, RetryOptions options,
                           const core::Clock& clock)
    : inner_(std::move(inner)),
      options_(std::move(options)),
      clock_(clock),
      rng_(options_.seed != 0 ? options_.seed : std::random_device{}()) {
  if (!options_.sleep) {
    options_.sleep = [](std::chrono::milliseconds d) {
      std::this_thread::sleep_for(d);
    };
  }
}

std::chrono::milliseconds RetryBackend::Backoff(int attempt) {
  double base = static_cast<double>(options_.initial_backoff.count());
  for (int i = 1; i < attempt; ++i)
    base *= options_.multiplier;
  base = std::min(base, static_cast<double>(options_.max_backoff.count()));
  std::lock_guard lock(rng_mu_);
  std::uniform_real_distribution<double> factor(1.0 - options_.jitter, 1.0 + options_.jitter);
  return std::chrono::milliseconds(static_cast<long long>(base * factor(rng_)));
}

core::Status RetryBackend::Run(const std::string& what, const std::function<core::Status()>& op) {
  auto start = clock_.Monotonic();
  for (int attempt = 1;; ++attempt) {
    core::Status st = op();
    if (st.ok() || !st.retryable())
      return st;
    auto elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Monotonic() - start);
    auto delay = std::max(Backoff(attempt), http::RetryAfterOf(st));
    if (attempt >= options_.max_attempts || elapsed + delay > options_.max_total) {
      st.Wrap(what + ": giving up after " + std::to_string(attempt) + " attempts in " +
              std::to_string(elapsed.count()) + "ms");
      st.SetRetryable(false);
      if (st.hint().empty())
        st.WithHint("check that the storage server is reachable and healthy, then retry");
      return st;
    }
    ++retries_;
    options_.sleep(delay);
  }
}

core::Status RetryBackend::Create() {
  return Run("create", [&] { return inner_->Create(); });
}

core::Status RetryBackend::Save(const Handle& h, core::ByteView data) {
  return Run("save", [&] { return inner_->Save(h, data); });
}

core::Status RetryBackend::Load(const Handle& h, uint64_t offset, uint64_t length,
                                core::Bytes* out) {
  return Run("load", [&] { return inner_->Load(h, offset, length, out); });
}

core::Result<FileInfo> RetryBackend::Stat(const Handle& h) {
  FileInfo info;
  HS_TRY(Run("stat", [&]() -> core::Status {
    HS_ASSIGN_OR_RETURN(info, inner_->Stat(h));
    return core::Status::Ok();
  }));
  return info;
}

core::Status RetryBackend::List(FileType t,
                                const std::function<core::Status(const FileInfo&)>& fn) {
  std::vector<FileInfo> all;
  HS_TRY(Run("list", [&] {
    all.clear();
    return inner_->List(t, [&](const FileInfo& fi) {
      all.push_back(fi);
      return core::Status::Ok();
    });
  }));
  for (const auto& fi : all)
    HS_TRY(fn(fi));
  return core::Status::Ok();
}

core::Status RetryBackend::Remove(const Handle& h) {
  return Run("remove", [&] { return inner_->Remove(h); });
}

RequestCounts RetryBackend::Counts() const {
  RequestCounts c = inner_->Counts();
  c.retries += retries_.load();
  return c;
}

}  // namespace hasteward::storage
