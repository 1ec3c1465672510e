#include "catalog/binlog/binlog_index_format.h"

#include <iterator>

#include <nlohmann/json.hpp>

namespace hasteward::catalog {

namespace {

// Decoding throws nlohmann's exceptions on a mistyped field; they stop at DecodeBinlogIndexFile.
struct DecodeError {
  std::string what;
};

repo::Id IdOf(const nlohmann::json& hex) {
  auto id = repo::IdFromHex(hex.get<std::string>());
  if (!id.ok()) {
    throw DecodeError{"an ID is not 64 hex digits"};
  }
  return *id;
}

// The manifest's own entry (PieceToJson), so the index and the snapshots never disagree on a
// field, plus where the piece is stored.
nlohmann::json PieceRecordJson(const BinlogIndexPiece& record) {
  nlohmann::json json = PieceToJson(record.piece);
  json["snapshot"] = repo::IdToHex(record.snapshot);
  json["size"] = record.size;
  nlohmann::json content = nlohmann::json::array();
  for (const repo::Id& id : record.content) {
    content.push_back(repo::IdToHex(id));
  }
  json["content"] = std::move(content);
  return json;
}

BinlogIndexPiece PieceRecordOf(const nlohmann::json& json) {
  auto piece = PieceFromJson(json);
  if (!piece.ok()) {
    throw DecodeError{piece.status().message()};
  }
  BinlogIndexPiece record;
  record.piece = std::move(*piece);
  record.snapshot = IdOf(json.at("snapshot"));
  record.size = json.at("size").get<uint64_t>();
  for (const auto& id : json.at("content")) {
    record.content.push_back(IdOf(id));
  }
  if (record.size != record.piece.end - record.piece.start) {
    throw DecodeError{"piece " + record.piece.PieceName() + " has another size than its range"};
  }
  return record;
}

nlohmann::json RewindRecordJson(const BinlogIndexRewind& record) {
  nlohmann::json json = RewindToJson(record.rewind);
  json["snapshot"] = repo::IdToHex(record.snapshot);
  return json;
}

BinlogIndexRewind RewindRecordOf(const nlohmann::json& json) {
  auto rewind = RewindFromJson(json);
  if (!rewind.ok()) {
    throw DecodeError{rewind.status().message()};
  }
  return BinlogIndexRewind{std::move(*rewind), IdOf(json.at("snapshot"))};
}

}  // namespace

repo::Node BinlogIndexPiece::Node() const {
  repo::Node node;
  node.name = piece.PieceName();
  node.type = "file";
  node.mode = 0600;
  node.size = size;
  node.content = content;
  return node;
}

void BinlogIndexRecords::Append(BinlogIndexRecords other) {
  std::move(other.pieces.begin(), other.pieces.end(), std::back_inserter(pieces));
  std::move(other.rewinds.begin(), other.rewinds.end(), std::back_inserter(rewinds));
}

std::string EncodeBinlogIndexFile(const BinlogIndexFile& file) {
  nlohmann::json pieces = nlohmann::json::array();
  for (const BinlogIndexPiece& record : file.records.pieces) {
    pieces.push_back(PieceRecordJson(record));
  }
  nlohmann::json rewinds = nlohmann::json::array();
  for (const BinlogIndexRewind& record : file.records.rewinds) {
    rewinds.push_back(RewindRecordJson(record));
  }
  nlohmann::json doc = {{"version", BinlogIndexFile::kVersion},
                        {"cluster", file.cluster},
                        {"part", ArchiveIndexPartName(file.part)},
                        {"pieces", std::move(pieces)},
                        {"rewinds", std::move(rewinds)}};
  return doc.dump();
}

core::Result<BinlogIndexFile> DecodeBinlogIndexFile(const std::string& json) {
  nlohmann::json doc = nlohmann::json::parse(json, nullptr, false);
  if (!doc.is_object()) {
    return core::Corruption("binlog index file is not a JSON object");
  }
  BinlogIndexFile file;
  try {
    if (doc.at("version").get<int>() != BinlogIndexFile::kVersion) {
      return core::Corruption("binlog index file version " + doc.at("version").dump() +
                              " is not the version this build reads");
    }
    file.cluster = doc.at("cluster").get<std::string>();
    HS_ASSIGN_OR_RETURN(file.part, ParseArchiveIndexPart(doc.at("part").get<std::string>()));
    for (const auto& record : doc.at("pieces")) {
      file.records.pieces.push_back(PieceRecordOf(record));
    }
    for (const auto& record : doc.at("rewinds")) {
      file.records.rewinds.push_back(RewindRecordOf(record));
    }
  } catch (const nlohmann::json::exception& error) {
    return core::Corruption(std::string("binlog index file: ") + error.what());
  } catch (const DecodeError& error) {
    return core::Corruption("binlog index file: " + error.what);
  }
  return file;
}

std::string BinlogBucketOf(const BinlogFileIdentity& identity) {
  return repo::IdToHex(repo::Sha256(core::AsBytes(identity.Key()))).substr(0, 16);
}

}  // namespace hasteward::catalog
