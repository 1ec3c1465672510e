#include "storage/s3/s3_xml.h"

#include <cstdlib>

namespace hasteward::storage::s3 {
namespace {

std::string DecodeEntities(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out.push_back(s[i]);
      continue;
    }
    auto semi = s.find(';', i);
    if (semi == std::string_view::npos) {
      out.push_back('&');
      continue;
    }
    std::string_view ent = s.substr(i + 1, semi - i - 1);
    if (ent == "amp") {
      out.push_back('&');
    } else if (ent == "lt") {
      out.push_back('<');
    } else if (ent == "gt") {
      out.push_back('>');
    } else if (ent == "quot") {
      out.push_back('"');
    } else if (ent == "apos") {
      out.push_back('\'');
    } else if (!ent.empty() && ent[0] == '#') {
      long cp = ent.size() > 1 && ent[1] == 'x'
                    ? std::strtol(std::string(ent.substr(2)).c_str(), nullptr, 16)
                    : std::strtol(std::string(ent.substr(1)).c_str(), nullptr, 10);
      out.push_back(static_cast<char>(cp));  // keys here are ASCII
    } else {
      out += "&" + std::string(ent) + ";";
    }
    i = semi;
  }
  return out;
}

// Finds <tag>...</tag> from `from`; returns the inner range or npos.
size_t FindElement(std::string_view xml, std::string_view tag, size_t from,
                   std::string_view* inner) {
  std::string open = "<" + std::string(tag) + ">";
  std::string close = "</" + std::string(tag) + ">";
  auto b = xml.find(open, from);
  if (b == std::string_view::npos)
    return b;
  auto e = xml.find(close, b + open.size());
  if (e == std::string_view::npos)
    return std::string_view::npos;
  *inner = xml.substr(b + open.size(), e - b - open.size());
  return e + close.size();
}

}  // namespace

std::string XmlText(std::string_view xml, std::string_view tag) {
  std::string_view inner;
  if (FindElement(xml, tag, 0, &inner) == std::string_view::npos)
    return "";
  return DecodeEntities(inner);
}

bool ParseListPage(std::string_view xml, ListPage* page) {
  if (xml.find("<ListBucketResult") == std::string_view::npos)
    return false;
  page->objects.clear();
  size_t pos = 0;
  std::string_view contents;
  while ((pos = FindElement(xml, "Contents", pos, &contents)) != std::string_view::npos) {
    ListedObject obj;
    obj.key = XmlText(contents, "Key");
    std::string size = XmlText(contents, "Size");
    if (obj.key.empty() || size.empty())
      return false;
    obj.size = std::strtoull(size.c_str(), nullptr, 10);
    page->objects.push_back(std::move(obj));
  }
  page->truncated = XmlText(xml, "IsTruncated") == "true";
  page->next_token = XmlText(xml, "NextContinuationToken");
  return !page->truncated || !page->next_token.empty();
}

}  // namespace hasteward::storage::s3
