#include "support/spdy_framing.h"

#include <array>
#include <string_view>

#include <zlib.h>

namespace hasteward::testing {
namespace {

constexpr size_t kFrameHeaderSize = 8;
constexpr uint32_t kMaxFrameLength = 0xFFFFFF;
constexpr size_t kZlibChunk = 4096;

uint32_t ReadBe32(const uint8_t* bytes) {
  return (uint32_t{bytes[0]} << 24) | (uint32_t{bytes[1]} << 16) | (uint32_t{bytes[2]} << 8) |
         uint32_t{bytes[3]};
}

void AppendFlagsAndLength(uint8_t flags, size_t length, core::Bytes* out) {
  AppendBe32((uint32_t{flags} << 24) | (static_cast<uint32_t>(length) & kMaxFrameLength), out);
}

core::Status Corrupt(const std::string& what) {
  return core::Status(core::ErrorCode::kInternal, "spdy: " + what,
                      "the client sent a frame the fake cannot parse; check its SPDY/3.1 framing");
}

}  // namespace

void AppendBe32(uint32_t value, core::Bytes* out) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out->push_back(static_cast<uint8_t>(value >> shift));
  }
}

core::Result<SpdyFrame> ReadSpdyFrame(platform::kubernetes::BufferedReader& reader,
                                      size_t max_length) {
  core::Bytes head;
  HS_TRY(reader.ReadExact(kFrameHeaderSize, &head));
  SpdyFrame frame;
  const uint32_t first = ReadBe32(head.data());
  if ((first & 0x80000000U) != 0) {
    if (((first >> 16) & 0x7FFFU) != kSpdyVersion) {
      return Corrupt("control frame of version " + std::to_string((first >> 16) & 0x7FFFU));
    }
    frame.type = static_cast<SpdyFrameType>(first & 0xFFFFU);
  } else {
    frame.stream_id = first & 0x7FFFFFFFU;
  }
  frame.flags = head[4];
  const uint32_t length = ReadBe32(head.data() + 4) & kMaxFrameLength;
  if (length > max_length) {
    return Corrupt("frame of " + std::to_string(length) + " bytes");
  }
  HS_TRY(reader.ReadExact(length, &frame.payload));
  return frame;
}

void AppendSpdyDataFrame(uint32_t stream_id, uint8_t flags, core::ByteView data, core::Bytes* out) {
  AppendBe32(stream_id & 0x7FFFFFFFU, out);
  AppendFlagsAndLength(flags, data.size(), out);
  out->insert(out->end(), data.begin(), data.end());
}

void AppendSpdyControlFrame(SpdyFrameType type, uint8_t flags, core::ByteView body,
                            core::Bytes* out) {
  AppendBe32(0x80000000U | (uint32_t{kSpdyVersion} << 16) | static_cast<uint16_t>(type), out);
  AppendFlagsAndLength(flags, body.size(), out);
  out->insert(out->end(), body.begin(), body.end());
}

uint32_t SpdyControlStreamId(const SpdyFrame& frame) {
  return frame.payload.size() < 4 ? 0 : ReadBe32(frame.payload.data()) & 0x7FFFFFFFU;
}

const core::Bytes& SpdyHeaderDictionary() {
  // The spec's dictionary: common header names and methods, each preceded by its 32-bit length,
  // then a run of status codes, reason phrases, dates and values with no separators.
  static const core::Bytes dictionary = [] {
    constexpr std::array<std::string_view, 65> kWords = {"options",
                                                         "head",
                                                         "post",
                                                         "put",
                                                         "delete",
                                                         "trace",
                                                         "accept",
                                                         "accept-charset",
                                                         "accept-encoding",
                                                         "accept-language",
                                                         "accept-ranges",
                                                         "age",
                                                         "allow",
                                                         "authorization",
                                                         "cache-control",
                                                         "connection",
                                                         "content-base",
                                                         "content-encoding",
                                                         "content-language",
                                                         "content-length",
                                                         "content-location",
                                                         "content-md5",
                                                         "content-range",
                                                         "content-type",
                                                         "date",
                                                         "etag",
                                                         "expect",
                                                         "expires",
                                                         "from",
                                                         "host",
                                                         "if-match",
                                                         "if-modified-since",
                                                         "if-none-match",
                                                         "if-range",
                                                         "if-unmodified-since",
                                                         "last-modified",
                                                         "location",
                                                         "max-forwards",
                                                         "pragma",
                                                         "proxy-authenticate",
                                                         "proxy-authorization",
                                                         "range",
                                                         "referer",
                                                         "retry-after",
                                                         "server",
                                                         "te",
                                                         "trailer",
                                                         "transfer-encoding",
                                                         "upgrade",
                                                         "user-agent",
                                                         "vary",
                                                         "via",
                                                         "warning",
                                                         "www-authenticate",
                                                         "method",
                                                         "get",
                                                         "status",
                                                         "200 OK",
                                                         "version",
                                                         "HTTP/1.1",
                                                         "url",
                                                         "public",
                                                         "set-cookie",
                                                         "keep-alive",
                                                         "origin"};
    constexpr std::string_view kTail =
        "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504"
        "505203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad "
        "Request401 Unauthorized403 Forbidden404 Not Found500 Internal Server Error501 Not "
        "Implemented503 Service UnavailableJan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec "
        "00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMTchunked,text/html,image/png,image/"
        "jpg,image/gif,application/xml,application/xhtml+xml,text/plain,text/"
        "javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,"
        "*,enq=0.";
    core::Bytes bytes;
    for (std::string_view word : kWords) {
      AppendBe32(static_cast<uint32_t>(word.size()), &bytes);
      bytes.insert(bytes.end(), word.begin(), word.end());
    }
    bytes.insert(bytes.end(), kTail.begin(), kTail.end());
    return bytes;
  }();
  return dictionary;
}

struct SpdyHeaderCodec::Zlib {
  z_stream inflater{};
  z_stream deflater{};
};

SpdyHeaderCodec::SpdyHeaderCodec() : zlib_(std::make_unique<Zlib>()) {
  (void)inflateInit(&zlib_->inflater);
  (void)deflateInit(&zlib_->deflater, Z_DEFAULT_COMPRESSION);
  const core::Bytes& dictionary = SpdyHeaderDictionary();
  (void)deflateSetDictionary(&zlib_->deflater, dictionary.data(),
                             static_cast<uInt>(dictionary.size()));
}

SpdyHeaderCodec::~SpdyHeaderCodec() {
  inflateEnd(&zlib_->inflater);
  deflateEnd(&zlib_->deflater);
}

core::Result<SpdyHeaders> SpdyHeaderCodec::Decode(core::ByteView block) {
  z_stream& zs = zlib_->inflater;
  core::Bytes plain;
  std::array<uint8_t, kZlibChunk> chunk{};
  zs.next_in = const_cast<Bytef*>(
      block.data());  // NOLINT(cppcoreguidelines-pro-type-const-cast): zlib's API is not const
  zs.avail_in = static_cast<uInt>(block.size());
  for (;;) {
    zs.next_out = chunk.data();
    zs.avail_out = chunk.size();
    int result = inflate(&zs, Z_SYNC_FLUSH);
    if (result == Z_NEED_DICT) {
      const core::Bytes& dictionary = SpdyHeaderDictionary();
      if (inflateSetDictionary(&zs, dictionary.data(), static_cast<uInt>(dictionary.size())) !=
          Z_OK) {
        return Corrupt("header block compressed with another dictionary");
      }
      continue;
    }
    if (result != Z_OK && result != Z_BUF_ERROR) {
      return Corrupt("header block does not inflate");
    }
    plain.insert(plain.end(), chunk.data(), chunk.data() + (chunk.size() - zs.avail_out));
    if ((zs.avail_in == 0 && zs.avail_out != 0) || result == Z_BUF_ERROR) {
      break;  // all input consumed and all output flushed, or no progress possible
    }
  }
  SpdyHeaders headers;
  size_t at = 0;
  auto next_string = [&](std::string* out) {
    if (plain.size() - at < 4 || plain.size() - at - 4 < ReadBe32(plain.data() + at)) {
      return false;
    }
    const uint32_t size = ReadBe32(plain.data() + at);
    out->assign(plain.begin() + static_cast<long>(at) + 4,
                plain.begin() + static_cast<long>(at + 4 + size));
    at += 4 + size;
    return true;
  };
  if (plain.size() < 4) {
    return Corrupt("header block shorter than its count");
  }
  const uint32_t count = ReadBe32(plain.data());
  at = 4;
  for (uint32_t index = 0; index < count; ++index) {
    std::string name, value;
    if (!next_string(&name) || !next_string(&value)) {
      return Corrupt("header block truncated");
    }
    headers[name] = value;
  }
  return headers;
}

core::Bytes SpdyHeaderCodec::Encode(const SpdyHeaders& headers) {
  core::Bytes plain;
  AppendBe32(static_cast<uint32_t>(headers.size()), &plain);
  for (const auto& [name, value] : headers) {
    AppendBe32(static_cast<uint32_t>(name.size()), &plain);
    plain.insert(plain.end(), name.begin(), name.end());
    AppendBe32(static_cast<uint32_t>(value.size()), &plain);
    plain.insert(plain.end(), value.begin(), value.end());
  }
  z_stream& zs = zlib_->deflater;
  core::Bytes compressed;
  std::array<uint8_t, kZlibChunk> chunk{};
  zs.next_in = plain.data();
  zs.avail_in = static_cast<uInt>(plain.size());
  do {
    zs.next_out = chunk.data();
    zs.avail_out = chunk.size();
    (void)deflate(&zs, Z_SYNC_FLUSH);
    compressed.insert(compressed.end(), chunk.data(), chunk.data() + (chunk.size() - zs.avail_out));
  } while (zs.avail_out == 0);
  return compressed;
}

}  // namespace hasteward::testing
