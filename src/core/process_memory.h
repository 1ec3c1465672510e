// How this process gives freed memory back to the system. main() makes every buffer of 256 KiB
// and more its own mapping, so a one-shot command's peak goes back to the system at once. A
// process that repeats the same large allocations for hours (the WAL agent: a 16 MiB segment, its
// 4 MiB blobs and their compressed and encrypted copies, per request) would then map and fault in
// fresh pages on every request: about 5 ms per MiB on the virtual machines this runs on, more
// than compressing and encrypting that MiB.
#pragma once

namespace hasteward::core {

// From now on, allocations up to 32 MiB come from the heap and freed heap memory is kept for the
// next allocation (resident memory stays at the process's peak instead of falling after it).
void KeepFreedHeapMemoryForReuse();

}  // namespace hasteward::core
