#include "core/tar_writer.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "core/tar_header.h"

namespace hasteward::core {

namespace {

constexpr size_t kBlock = TarReader::kBlock;
// The largest values a ustar numeric field holds in octal: 7 digits (ids, mode) and 11 (size,
// mtime), each followed by a NUL.
constexpr uint64_t kMaxOctal7 = 07777777;
constexpr uint64_t kMaxOctal11 = 077777777777;

using Block = std::array<uint8_t, kBlock>;

void PutString(Block& block, size_t offset, size_t length, const std::string& value) {
  std::memcpy(block.data() + offset, value.data(), std::min(length, value.size()));
}

// `digits` octal digits then a NUL; a value too large is written as 0 (its pax record holds it).
void PutOctal(Block& block, size_t offset, size_t digits, uint64_t value) {
  uint64_t max = digits == 7 ? kMaxOctal7 : kMaxOctal11;
  if (value > max) {
    value = 0;
  }
  for (size_t i = digits; i > 0; --i) {
    block[offset + i - 1] = static_cast<uint8_t>('0' + (value & 7));
    value >>= 3;
  }
  block[offset + digits] = 0;
}

// ustar splits a long path at a '/' into a prefix of at most 155 bytes and a name of at most 100.
// Returns false when no '/' allows it.
bool SplitPath(const std::string& path, std::string* prefix, std::string* name) {
  if (path.size() <= ustar::kNameLen) {
    prefix->clear();
    *name = path;
    return true;
  }
  for (size_t slash = path.find('/'); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    if (slash <= ustar::kPrefixLen && path.size() - slash - 1 <= ustar::kNameLen &&
        slash + 1 < path.size()) {
      *prefix = path.substr(0, slash);
      *name = path.substr(slash + 1);
      return true;
    }
  }
  return false;
}

// "<len> key=value\n", where len counts the whole record including its own digits.
std::string PaxRecord(const std::string& key, const std::string& value) {
  size_t body = 1 + key.size() + 1 + value.size() + 1;  // " key=value\n"
  size_t length = body + std::to_string(body).size();
  if (std::to_string(length).size() != std::to_string(body).size()) {
    length = body + std::to_string(length).size();
  }
  return std::to_string(length) + " " + key + "=" + value + "\n";
}

std::string MemberName(const TarEntry& entry) {
  // Directories end with '/' in archives GNU tar writes; readers rely on the type flag anyway.
  return entry.type == TarEntryType::kDirectory ? entry.path + "/" : entry.path;
}

}  // namespace

std::string PaxRecordsFor(const TarEntry& entry) {
  std::string records;
  std::string prefix;
  std::string name;
  std::string path = MemberName(entry);
  if (!SplitPath(path, &prefix, &name)) {
    records += PaxRecord("path", path);
  }
  if (entry.link_target.size() > ustar::kNameLen) {
    records += PaxRecord("linkpath", entry.link_target);
  }
  if (entry.type == TarEntryType::kFile && entry.size > kMaxOctal11) {
    records += PaxRecord("size", std::to_string(entry.size));
  }
  if (entry.uid > kMaxOctal7) {
    records += PaxRecord("uid", std::to_string(entry.uid));
  }
  if (entry.gid > kMaxOctal7) {
    records += PaxRecord("gid", std::to_string(entry.gid));
  }
  if (entry.mtime < 0 || static_cast<uint64_t>(entry.mtime) > kMaxOctal11) {
    records += PaxRecord("mtime", std::to_string(entry.mtime));
  }
  if (entry.user.size() > ustar::kOwnerLen) {
    records += PaxRecord("uname", entry.user);
  }
  if (entry.group.size() > ustar::kOwnerLen) {
    records += PaxRecord("gname", entry.group);
  }
  return records;
}

Status TarWriter::Emit(ByteView data) {
  HS_TRY(sink_.Write(data));
  bytes_written_ += data.size();
  return Status::Ok();
}

Status TarWriter::WriteHeader(const TarEntry& entry, const std::string& name, char type,
                              uint64_t size) {
  Block block{};
  std::string prefix;
  std::string short_name;
  if (!SplitPath(name, &prefix, &short_name)) {
    prefix.clear();
    short_name = name.substr(0, ustar::kNameLen);  // the pax "path" record before it holds the name
  }
  PutString(block, ustar::kNameOff, ustar::kNameLen, short_name);
  PutOctal(block, ustar::kModeOff, 7, entry.mode & 07777);
  PutOctal(block, ustar::kUidOff, 7, entry.uid);
  PutOctal(block, ustar::kGidOff, 7, entry.gid);
  PutOctal(block, ustar::kSizeOff, 11, size);
  PutOctal(block, ustar::kMtimeOff, 11, entry.mtime < 0 ? 0 : static_cast<uint64_t>(entry.mtime));
  block[ustar::kTypeOff] = static_cast<uint8_t>(type);
  PutString(block, ustar::kLinkOff, ustar::kNameLen, entry.link_target);
  PutString(block, ustar::kMagicOff, 5, "ustar");  // and the NUL the zeroed block already has
  PutString(block, ustar::kVersionOff, 2, "00");
  PutString(block, ustar::kUserOff, ustar::kOwnerLen, entry.user);
  PutString(block, ustar::kGroupOff, ustar::kOwnerLen, entry.group);
  PutString(block, ustar::kPrefixOff, ustar::kPrefixLen, prefix);
  // The checksum is the byte sum of the header with its own field read as eight spaces.
  std::memset(block.data() + ustar::kChecksumOff, ' ', 8);
  uint32_t sum = 0;
  for (uint8_t byte : block) {
    sum += byte;
  }
  for (size_t i = 6; i > 0; --i) {
    block[ustar::kChecksumOff + i - 1] = static_cast<uint8_t>('0' + (sum & 7));
    sum >>= 3;
  }
  block[ustar::kChecksumOff + 6] = 0;
  block[ustar::kChecksumOff + 7] = ' ';
  return Emit(block);
}

Status TarWriter::Begin(const TarEntry& entry) {
  if (in_member_) {
    return Status(ErrorCode::kInternal,
                  "tar member started before the previous one ended (" + entry.path + ")");
  }
  char type = '0';
  if (entry.type == TarEntryType::kDirectory) {
    type = '5';
  } else if (entry.type == TarEntryType::kSymlink) {
    type = '2';
  }
  uint64_t size = entry.type == TarEntryType::kFile ? entry.size : 0;
  std::string records = PaxRecordsFor(entry);
  if (!records.empty()) {
    TarEntry pax_entry;
    pax_entry.mode = 0644;
    pax_entry.mtime = entry.mtime < 0 ? 0 : entry.mtime;
    std::string base = entry.path.substr(entry.path.rfind('/') + 1);
    HS_TRY(WriteHeader(pax_entry, "PaxHeaders/" + base.substr(0, ustar::kNameLen - 11), 'x',
                       records.size()));
    HS_TRY(Emit(AsBytes(records)));
    Block zeros{};
    HS_TRY(Emit(ByteView(zeros.data(), (kBlock - records.size() % kBlock) % kBlock)));
  }
  HS_TRY(WriteHeader(entry, MemberName(entry), type, size));
  in_member_ = true;
  remaining_ = size;
  padding_ = (kBlock - size % kBlock) % kBlock;
  return Status::Ok();
}

Status TarWriter::ContentSink::Write(ByteView data) {
  if (!writer_.in_member_ || data.size() > writer_.remaining_) {
    return Status(ErrorCode::kInternal, "tar member content is longer than its declared size");
  }
  HS_TRY(writer_.Emit(data));
  writer_.remaining_ -= data.size();
  return Status::Ok();
}

Status TarWriter::End() {
  if (!in_member_ || remaining_ != 0) {
    return Status(ErrorCode::kInternal, "tar member content is shorter than its declared size (" +
                                            std::to_string(remaining_) + " bytes missing)");
  }
  Block zeros{};
  HS_TRY(Emit(ByteView(zeros.data(), padding_)));
  in_member_ = false;
  return Status::Ok();
}

Status TarWriter::Finish() {
  if (in_member_) {
    return Status(ErrorCode::kInternal, "tar archive finished inside a member");
  }
  Block zeros{};
  HS_TRY(Emit(zeros));
  return Emit(zeros);
}

}  // namespace hasteward::core
