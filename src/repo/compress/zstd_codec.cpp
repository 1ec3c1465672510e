#include "repo/compress/zstd_codec.h"

#include <memory>
#include <string>

#include <zstd.h>

namespace hasteward::repo {

namespace {
constexpr size_t kMaxUnknownSize = size_t{1} << 30;

ZSTD_CCtx* CCtx() {
  thread_local std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> ctx(ZSTD_createCCtx(),
                                                                        ZSTD_freeCCtx);
  return ctx.get();
}

ZSTD_DCtx* DCtx() {
  thread_local std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> ctx(ZSTD_createDCtx(),
                                                                        ZSTD_freeDCtx);
  return ctx.get();
}
}  // namespace

core::Result<CompressionOptions> ParseCompression(const std::string& s) {
  if (s == "auto" || s.empty())
    return CompressionOptions{true, 1, true};
  if (s == "off")
    return CompressionOptions{false, 0, false};
  if (s == "max")
    return CompressionOptions{true, 19, false};
  if (s == "fastest")
    return CompressionOptions{true, -1, false};
  if (s == "better")
    return CompressionOptions{true, 6, false};
  try {
    size_t used = 0;
    int level = std::stoi(s, &used);
    if (used == s.size() && level >= -7 && level <= 22)
      return CompressionOptions{true, level, false};
  } catch (...) {  // NOLINT(bugprone-empty-catch): falls through to the usage error
  }
  return core::Usage("invalid compression '" + s + "'",
                     "use auto, off, max, fastest or a zstd level");
}

void ZstdCompressAppend(core::ByteView in, int level, core::Bytes* out) {
  // Compressed into a per-thread buffer left uninitialised, then appended: growing `out` to the
  // compress bound first would zero that many bytes for every blob (a vector value-initialises),
  // about as much memory traffic as the input itself.
  thread_local std::unique_ptr<uint8_t[]> frame;
  thread_local size_t frame_capacity = 0;
  size_t bound = ZSTD_compressBound(in.size());
  if (frame_capacity < bound) {
    frame = std::make_unique_for_overwrite<uint8_t[]>(bound);
    frame_capacity = bound;
  }
  ZSTD_CCtx* c = CCtx();
  ZSTD_CCtx_reset(c, ZSTD_reset_session_and_parameters);
  ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 0);
  size_t n = ZSTD_compress2(c, frame.get(), bound, in.data(), in.size());
  if (ZSTD_isError(n)) {
    std::abort();  // cannot happen with a compressBound-sized buffer
  }
  out->insert(out->end(), frame.get(), frame.get() + n);
}

core::Status ZstdDecompressTo(core::ByteView in, std::span<uint8_t> out) {
  size_t n = ZSTD_decompressDCtx(DCtx(), out.data(), out.size(), in.data(), in.size());
  if (ZSTD_isError(n)) {
    return core::Corruption(std::string("zstd: ") + ZSTD_getErrorName(n));
  }
  if (n != out.size()) {
    return core::Corruption("decompressed size " + std::to_string(n) + " != expected " +
                            std::to_string(out.size()));
  }
  return core::Status::Ok();
}

core::Status ZstdDecompress(core::ByteView in, size_t expected_size, core::Bytes* out) {
  size_t size = expected_size;
  if (size == 0) {
    unsigned long long fcs = ZSTD_getFrameContentSize(in.data(), in.size());
    if (fcs == ZSTD_CONTENTSIZE_ERROR) {
      return core::Corruption("not a zstd frame");
    }
    if (fcs != ZSTD_CONTENTSIZE_UNKNOWN && fcs <= kMaxUnknownSize) {
      size = static_cast<size_t>(fcs);
    }
  }
  if (expected_size != 0) {
    out->resize(expected_size);
    return ZstdDecompressTo(in, *out);
  }
  if (size != 0) {
    out->resize(size);
    size_t n = ZSTD_decompressDCtx(DCtx(), out->data(), size, in.data(), in.size());
    if (ZSTD_isError(n)) {
      return core::Corruption(std::string("zstd: ") + ZSTD_getErrorName(n));
    }
    out->resize(n);
    return core::Status::Ok();
  }
  // Unknown size: stream.
  out->clear();
  ZSTD_DCtx* d = DCtx();
  ZSTD_DCtx_reset(d, ZSTD_reset_session_only);
  ZSTD_inBuffer ib{in.data(), in.size(), 0};
  size_t chunk = ZSTD_DStreamOutSize();
  while (true) {
    size_t start = out->size();
    out->resize(start + chunk);
    ZSTD_outBuffer ob{out->data() + start, chunk, 0};
    size_t r = ZSTD_decompressStream(d, &ob, &ib);
    if (ZSTD_isError(r)) {
      return core::Corruption(std::string("zstd: ") + ZSTD_getErrorName(r));
    }
    out->resize(start + ob.pos);
    if (r == 0)
      break;
    if (ib.pos == ib.size && ob.pos < chunk) {
      return core::Corruption("zstd: truncated frame");
    }
    if (out->size() > kMaxUnknownSize) {
      return core::Corruption("zstd: frame too large");
    }
  }
  return core::Status::Ok();
}

}  // namespace hasteward::repo
