// ParseIndexJson (master_index.h) as a streaming (SAX) parse straight into IndexFile. A DOM of an
// index file costs ~700 bytes a blob (an ordered map of five values each): ~100 MiB for one file
// of restic's 150,000 blobs, which was most of the peak of a backup that builds the on-disk index
// (279 MiB at 10 M blobs, docs/performance.md). Streamed, one file costs its text plus 48 bytes a
// blob. What it accepts is what the DOM version accepted: keys in any order, unknown keys ignored,
// null for an empty list, numbers converted as nlohmann's get<uint32_t>.
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "repo/index/master_index.h"

namespace hasteward::repo {

namespace {

using Json = nlohmann::json;

// Where the parser is: each open object or array is one entry of the stack.
enum class Scope {
  kTop,         // the document's object
  kSupersedes,  // top.supersedes: an array of pack IDs
  kPacks,       // top.packs: an array of packs
  kPack,        // one pack: id, blobs
  kBlobs,       // pack.blobs: an array of blobs
  kBlob,        // one blob: id, type, offset, length, uncompressed_length
  kSkip,        // any value under a key this format does not use
};

class IndexSax : public nlohmann::json_sax<Json> {
 public:
  bool null() override { return Scalar(Value::kNull, nullptr, 0); }
  bool boolean(bool val) override { return Scalar(Value::kNumber, nullptr, val ? 1 : 0); }
  bool number_integer(number_integer_t val) override {
    return Scalar(Value::kNumber, nullptr, static_cast<uint32_t>(val));
  }
  bool number_unsigned(number_unsigned_t val) override {
    return Scalar(Value::kNumber, nullptr, static_cast<uint32_t>(val));
  }
  bool number_float(number_float_t val, const string_t& /*text*/) override {
    return Scalar(Value::kNumber, nullptr, static_cast<uint32_t>(val));
  }
  bool string(string_t& val) override { return Scalar(Value::kString, &val, 0); }
  bool binary(binary_t& /*val*/) override { return Scalar(Value::kOther, nullptr, 0); }

  bool start_object(std::size_t /*elements*/) override {
    if (stack_.empty()) {
      stack_.push_back(Scope::kTop);
      return true;
    }
    switch (Slot()) {
      case Scope::kPacks:
        pack_id_.reset();
        blobs_.clear();
        has_blobs_ = false;
        return Push(Scope::kPack);
      case Scope::kBlobs:
        blob_ = {};
        blob_fields_ = 0;
        return Push(Scope::kBlob);
      case Scope::kSkip: return Push(Scope::kSkip);
      default: return Malformed("an object where the index has a " + std::string(SlotName()));
    }
  }
  bool end_object() override { return Pop(); }

  bool start_array(std::size_t /*elements*/) override {
    if (stack_.empty()) {
      return NotAnObject();
    }
    const Scope parent = stack_.back();
    if (parent == Scope::kTop && key_ == "supersedes") {
      return Push(Scope::kSupersedes);
    }
    if (parent == Scope::kTop && key_ == "packs") {
      has_packs_ = true;
      return Push(Scope::kPacks);
    }
    if (parent == Scope::kPack && key_ == "blobs") {
      has_blobs_ = true;
      return Push(Scope::kBlobs);
    }
    if (Slot() == Scope::kSkip) {
      return Push(Scope::kSkip);
    }
    return Malformed("an array where the index has a " + std::string(SlotName()));
  }
  bool end_array() override { return Pop(); }

  bool key(string_t& val) override {
    key_ = val;
    return true;
  }

  bool parse_error(std::size_t /*position*/, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& /*ex*/) override {
    return NotAnObject();
  }

  core::Result<IndexFile> Take() {
    if (!error_.ok()) {
      return error_;
    }
    if (!has_packs_ && !null_packs_) {
      return core::Corruption("index is malformed: it has no \"packs\"");
    }
    return std::move(index_);
  }

 private:
  enum class Value { kNull, kNumber, kString, kOther };
  // Bits of blob_fields_: the fields a blob must have.
  static constexpr unsigned kBlobId = 1;
  static constexpr unsigned kBlobType = 2;
  static constexpr unsigned kBlobOffset = 4;
  static constexpr unsigned kBlobLength = 8;
  static constexpr unsigned kBlobRequired = kBlobId | kBlobType | kBlobOffset | kBlobLength;

  // What a value at the current position is for: the scope an object or array there opens, or
  // kSkip for a value of an unknown key. Scalars are handled by Scalar.
  Scope Slot() const {
    switch (stack_.back()) {
      case Scope::kPacks: return Scope::kPacks;
      case Scope::kBlobs: return Scope::kBlobs;
      case Scope::kSkip: return Scope::kSkip;
      case Scope::kSupersedes: return Scope::kSupersedes;
      case Scope::kTop:
        // A "supersedes" that is no list is ignored (as the DOM version did); "packs" must be one.
        return key_ == "packs" ? Scope::kTop : Scope::kSkip;
      case Scope::kPack: return key_ == "id" || key_ == "blobs" ? Scope::kPack : Scope::kSkip;
      case Scope::kBlob:
        return key_ == "id" || key_ == "type" || key_ == "offset" || key_ == "length" ||
                       key_ == "uncompressed_length"
                   ? Scope::kBlob
                   : Scope::kSkip;
    }
    return Scope::kSkip;
  }
  const char* SlotName() const {
    switch (stack_.back()) {
      case Scope::kPacks: return "pack";
      case Scope::kBlobs: return "blob";
      case Scope::kSupersedes: return "superseded index ID";
      default: return "value";
    }
  }

  bool Push(Scope scope) {
    stack_.push_back(scope);
    return true;
  }

  // Closes the innermost object or array; a pack or blob is complete only now (keys come in any
  // order).
  bool Pop() {
    const Scope closed = stack_.back();
    stack_.pop_back();
    if (closed == Scope::kBlob) {
      if ((blob_fields_ & kBlobRequired) != kBlobRequired) {
        return Malformed("a blob lacks one of id, type, offset, length");
      }
      blobs_.push_back(blob_);
    } else if (closed == Scope::kPack) {
      if (!pack_id_ || !has_blobs_) {
        return Malformed("a pack lacks its id or its blobs");
      }
      index_.packs.emplace_back(*pack_id_, std::move(blobs_));
      blobs_.clear();
    }
    return true;
  }

  bool Scalar(Value kind, const std::string* text, uint32_t number) {
    if (stack_.empty()) {
      return NotAnObject();
    }
    switch (stack_.back()) {
      case Scope::kSkip: return true;
      case Scope::kTop:
        // null "packs" or "supersedes" lists nothing, as iterating a null DOM value did.
        if (key_ == "packs") {
          null_packs_ = kind == Value::kNull;
          return null_packs_ || Malformed("\"packs\" is not a list");
        }
        return true;  // a "supersedes" that is no list was ignored, as any unknown key
      case Scope::kSupersedes:
        if (kind != Value::kString) {
          return Malformed("a superseded index ID is not a string");
        }
        return ParseId(*text, [this](const Id& id) { index_.supersedes.push_back(id); });
      case Scope::kPacks:
      case Scope::kBlobs: return Malformed(std::string("a ") + SlotName() + " is not an object");
      case Scope::kPack: return PackField(kind, text);
      case Scope::kBlob: return BlobField(kind, text, number);
    }
    return true;
  }

  bool PackField(Value kind, const std::string* text) {
    if (key_ == "id") {
      if (kind != Value::kString) {
        return Malformed("a pack id is not a string");
      }
      return ParseId(*text, [this](const Id& id) { pack_id_ = id; });
    }
    if (key_ == "blobs") {
      has_blobs_ = kind == Value::kNull;
      return has_blobs_ || Malformed("a pack's blobs are not a list");
    }
    return true;
  }

  bool BlobField(Value kind, const std::string* text, uint32_t number) {
    if (key_ == "id" || key_ == "type") {
      if (kind != Value::kString) {
        return Malformed("a blob's " + key_ + " is not a string");
      }
      if (key_ == "id") {
        blob_fields_ |= kBlobId;
        return ParseId(*text, [this](const Id& id) { blob_.id = id; });
      }
      if (*text != "data" && *text != "tree") {
        return Fail(core::Corruption("index lists a blob of unknown type '" + *text + "'"));
      }
      blob_.type = *text == "tree" ? BlobType::kTree : BlobType::kData;
      blob_fields_ |= kBlobType;
      return true;
    }
    uint32_t* field = nullptr;
    unsigned bit = 0;
    if (key_ == "offset") {
      field = &blob_.offset;
      bit = kBlobOffset;
    } else if (key_ == "length") {
      field = &blob_.length;
      bit = kBlobLength;
    } else if (key_ == "uncompressed_length") {
      field = &blob_.uncompressed_length;
    } else {
      return true;
    }
    if (kind != Value::kNumber) {
      return Malformed("a blob's " + key_ + " is not a number");
    }
    *field = number;
    blob_fields_ |= bit;
    return true;
  }

  template <typename Store>
  bool ParseId(const std::string& hex, Store store) {
    auto id = IdFromHex(hex);
    if (!id.ok()) {
      // A bad ID in a repository file is damage to the file, not a usage error.
      return Malformed(id.status().message());
    }
    store(*id);
    return true;
  }

  bool NotAnObject() {
    return Fail(core::Corruption("index is not a JSON object (old index format is not supported)"));
  }
  bool Malformed(const std::string& what) {
    return Fail(core::Corruption("index is malformed: " + what));
  }
  // Records the first error and stops the parse.
  bool Fail(core::Status status) {
    if (error_.ok()) {
      error_ = std::move(status);
    }
    return false;
  }

  std::vector<Scope> stack_;
  std::string key_;
  IndexFile index_;
  std::optional<Id> pack_id_;
  std::vector<PackedBlob> blobs_;
  bool has_blobs_ = false;
  PackedBlob blob_;
  unsigned blob_fields_ = 0;
  bool has_packs_ = false;
  bool null_packs_ = false;
  core::Status error_ = core::Status::Ok();
};

}  // namespace

core::Result<IndexFile> ParseIndexJson(const std::string& text) {
  IndexSax sax;
  // strict: text after the object is an error, as it was for json::parse.
  const bool parsed = Json::sax_parse(text, &sax, nlohmann::detail::input_format_t::json, true);
  core::Result<IndexFile> index = sax.Take();
  if (!parsed && index.ok()) {
    return core::Corruption("index is not a JSON object (old index format is not supported)");
  }
  return index;
}

}  // namespace hasteward::repo
