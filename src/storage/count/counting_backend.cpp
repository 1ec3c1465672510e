#include "storage/count/counting_backend.h"

namespace hasteward::storage {

core::Status CountingBackend::Save(const Handle& h, core::ByteView data) {
  ++save_;
  core::Status st = inner_->Save(h, data);
  if (st.ok())
    bytes_written_ += data.size();
  return st;
}

core::Status CountingBackend::Load(const Handle& h, uint64_t offset, uint64_t length,
                                   core::Bytes* out) {
  ++load_;
  core::Status st = inner_->Load(h, offset, length, out);
  if (st.ok())
    bytes_read_ += out->size();
  return st;
}

core::Result<FileInfo> CountingBackend::Stat(const Handle& h) {
  ++stat_;
  return inner_->Stat(h);
}

core::Status CountingBackend::List(FileType t,
                                   const std::function<core::Status(const FileInfo&)>& fn) {
  ++list_;
  return inner_->List(t, fn);
}

core::Status CountingBackend::Remove(const Handle& h) {
  ++remove_;
  return inner_->Remove(h);
}

RequestCounts CountingBackend::Counts() const {
  RequestCounts c;
  c.save = save_;
  c.load = load_;
  c.stat = stat_;
  c.list = list_;
  c.remove = remove_;
  c.bytes_written = bytes_written_;
  c.bytes_read = bytes_read_;
  return c;
}

}  // namespace hasteward::storage
