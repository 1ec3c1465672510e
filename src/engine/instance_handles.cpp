#include "engine/instance_handles.h"

namespace hasteward::engine {

core::Result<platform::InstanceHandle*> InstanceHandles::Open(const platform::Instance& instance) {
  auto found = handles_.find(instance.name);
  if (found != handles_.end())
    return found->second.get();
  HS_ASSIGN_OR_RETURN(auto handle, platform_->OpenInstance(*cluster_, instance));
  platform::InstanceHandle* opened = handle.get();
  handles_.emplace(instance.name, std::move(handle));
  return opened;
}

}  // namespace hasteward::engine
