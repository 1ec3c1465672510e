#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace hasteward::storage::s3 {

struct ListedObject {
  std::string key;
  unsigned long long size = 0;
};

// One page of a ListObjectsV2 response.
struct ListPage {
  std::vector<ListedObject> objects;
  bool truncated = false;
  std::string next_token;  // NextContinuationToken when truncated
};

// Parses a ListObjectsV2 XML body. Returns false when the body is not a ListBucketResult (a
// malformed listing is an error, never an empty page).
bool ParseListPage(std::string_view xml, ListPage* page);

// The text of the first <tag>...</tag> in xml, entities decoded; "" when absent.
std::string XmlText(std::string_view xml, std::string_view tag);

}  // namespace hasteward::storage::s3
