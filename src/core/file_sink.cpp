#include "core/file_sink.h"

#include <cerrno>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

namespace hasteward::core {

Result<std::unique_ptr<AtomicFileSink>> AtomicFileSink::Create(const std::string& path) {
  std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd.valid()) {
    return ErrnoStatus("create '" + tmp + "'", errno);
  }
  return std::unique_ptr<AtomicFileSink>(new AtomicFileSink(path, tmp, std::move(fd)));
}

AtomicFileSink::~AtomicFileSink() {
  if (!done_) {
    fd_.Reset();
    ::unlink(tmp_.c_str());
  }
}

Status AtomicFileSink::Write(ByteView data) {
  return WriteAll(fd_.get(), data);
}

Status AtomicFileSink::Close() {
  if (done_)
    return Status::Ok();
  if (::fsync(fd_.get()) != 0)
    return ErrnoStatus("fsync '" + tmp_ + "'", errno);
  fd_.Reset();
  if (::rename(tmp_.c_str(), path_.c_str()) != 0) {
    return ErrnoStatus("rename '" + tmp_ + "' to '" + path_ + "'", errno);
  }
  done_ = true;
  return Status::Ok();
}

struct GzipSink::State {
  z_stream z{};
  std::vector<uint8_t> out = std::vector<uint8_t>(1 << 18);
};

GzipSink::GzipSink(std::unique_ptr<ByteSink> inner, int level)
    : state_(std::make_unique<State>()), inner_(std::move(inner)) {
  // 15 + 16: gzip header and trailer instead of raw zlib.
  deflateInit2(&state_->z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}

GzipSink::~GzipSink() {
  deflateEnd(&state_->z);
}

Status GzipSink::Pump(int flush) {
  z_stream& z = state_->z;
  while (true) {
    z.next_out = state_->out.data();
    z.avail_out = static_cast<uInt>(state_->out.size());
    int rc = deflate(&z, flush);
    if (rc == Z_STREAM_ERROR)
      return Internal("gzip: deflate failed");
    size_t have = state_->out.size() - z.avail_out;
    if (have > 0)
      HS_TRY(inner_->Write(ByteView(state_->out.data(), have)));
    if (flush == Z_FINISH ? rc == Z_STREAM_END : z.avail_out != 0)
      return Status::Ok();
  }
}

Status GzipSink::Write(ByteView data) {
  z_stream& z = state_->z;
  z.next_in = const_cast<Bytef*>(data.data());
  z.avail_in = static_cast<uInt>(data.size());
  return Pump(Z_NO_FLUSH);
}

Status GzipSink::Close() {
  if (closed_)
    return Status::Ok();
  closed_ = true;
  state_->z.avail_in = 0;
  HS_TRY(Pump(Z_FINISH));
  return inner_->Close();
}

struct GunzipSource::State {
  z_stream z{};
  std::vector<uint8_t> in = std::vector<uint8_t>(1 << 18);
  bool eof = false;
  bool done = false;
};

GunzipSource::GunzipSource(std::unique_ptr<ByteSource> inner)
    : state_(std::make_unique<State>()), inner_(std::move(inner)) {
  inflateInit2(&state_->z, 15 + 32);
}

GunzipSource::~GunzipSource() {
  inflateEnd(&state_->z);
}

Result<size_t> GunzipSource::Read(std::span<uint8_t> buf) {
  z_stream& z = state_->z;
  if (state_->done)
    return size_t{0};
  z.next_out = buf.data();
  z.avail_out = static_cast<uInt>(buf.size());
  auto refill = [&]() -> Status {
    if (z.avail_in == 0 && !state_->eof) {
      HS_ASSIGN_OR_RETURN(size_t n, inner_->Read(state_->in));
      if (n == 0)
        state_->eof = true;
      z.next_in = state_->in.data();
      z.avail_in = static_cast<uInt>(n);
    }
    return Status::Ok();
  };
  while (z.avail_out == buf.size()) {
    HS_TRY(refill());
    int rc = inflate(&z, Z_NO_FLUSH);
    if (rc == Z_STREAM_END) {
      // A gzip file may hold several members (`cat a.gz b.gz`); like gunzip, read them all
      // rather than silently dropping everything after the first.
      HS_TRY(refill());
      if (z.avail_in == 0) {
        state_->done = true;
        break;
      }
      inflateReset(&z);
      continue;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR)
      return Corruption("gzip: corrupt input");
    if (state_->eof && z.avail_in == 0 && z.avail_out == buf.size()) {
      return Status(ErrorCode::kIncompleteInput, "gzip: truncated input");
    }
  }
  return buf.size() - z.avail_out;
}

}  // namespace hasteward::core
