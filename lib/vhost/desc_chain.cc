#include "lib/vhost/desc_chain.h"

#include <cstring>
#include <limits>

namespace zcswitch {
namespace {

// Appends guest-physical [gpa, gpa + len) to `out`, one segment per region it
// touches.
ChainError AddBuffer(const GuestMemory& memory, uint64_t gpa, uint32_t len, Chain& out) {
  uint64_t left = len;
  while (left > 0) {
    // SAFETY: GpaPiece gives at most `left` bytes that lie inside one
    // region, or nullptr; the segment records exactly that range.
    const HostRange piece = memory.GpaPiece(gpa, left);
    if (piece.data == nullptr) return ChainError::kOutsideMemory;
    if (out.num_segments == Chain::kMaxSegments) return ChainError::kTooManySegments;
    out.segments[out.num_segments++] = {piece.data, static_cast<uint32_t>(piece.len)};
    gpa += piece.len;  // cannot wrap: piece lies inside a region
    left -= piece.len;
  }
  return ChainError::kNone;
}

// One pass over a table (the queue's or an indirect one) from `index`.
// `indirect_allowed` is false inside an indirect table.
ChainError WalkTable(const GuestMemory& memory, const VringDesc* table, uint32_t table_size,
                     uint16_t queue_size, uint16_t index, bool indirect_allowed,
                     ChainDirection direction, uint32_t& visited, uint64_t& total, Chain& out) {
  const uint16_t want_write = direction == ChainDirection::kDeviceWrites ? kVringDescFWrite : 0;
  for (uint32_t steps = 0;; ++steps) {
    if (index >= table_size) return ChainError::kNextOutOfRange;
    // Every descriptor counts, empty ones too, so a walk's cost is bounded.
    if (steps == table_size || ++visited > Chain::kMaxDescriptors) return ChainError::kTooLong;
    // SAFETY: index < table_size and the caller checked that the table's
    // table_size entries lie in guest memory. One copy: the guest may change
    // the entry while we look at it, but we only look at the copy.
    VringDesc desc;
    std::memcpy(&desc, &table[index], sizeof(desc));

    if (desc.flags & kVringDescFIndirect) {
      if (!indirect_allowed) return ChainError::kNestedIndirect;
      if (desc.flags & kVringDescFNext) return ChainError::kIndirectWithNext;
      // The spec: no chain longer than the queue, indirect ones included.
      if (desc.len == 0 || desc.len % sizeof(VringDesc) != 0 ||
          desc.len / sizeof(VringDesc) > queue_size) {
        return ChainError::kBadIndirectLength;
      }
      // SAFETY: GpaToHva checked that all desc.len bytes, the table's
      // desc.len / 16 entries, lie in one region; the walk below reads only
      // entries below that count. The table may be misaligned: entries are
      // read with memcpy.
      const auto* indirect =
          reinterpret_cast<const VringDesc*>(memory.GpaToHva(desc.addr, desc.len));
      if (indirect == nullptr) return ChainError::kOutsideMemory;
      // The spec says an indirect descriptor is the whole chain.
      return WalkTable(memory, indirect, desc.len / sizeof(VringDesc), queue_size, 0, false,
                       direction, visited, total, out);
    }
    if ((desc.flags & kVringDescFWrite) != want_write) return ChainError::kWrongDirection;
    if (desc.len != 0) {
      if (const ChainError e = AddBuffer(memory, desc.addr, desc.len, out);
          e != ChainError::kNone) {
        return e;
      }
      total += desc.len;
      if (direction == ChainDirection::kDeviceReads && total > Chain::kMaxBytes) {
        return ChainError::kTooLarge;
      }
    }
    if (!(desc.flags & kVringDescFNext)) return ChainError::kNone;
    index = desc.next;
  }
}

}  // namespace

absl::string_view ChainErrorName(ChainError error) {
  constexpr absl::string_view kNames[] = {"ok", ZCSWITCH_CHAIN_ERRORS(ZC_X_NAME)};
  return kNames[static_cast<size_t>(error)];
}

ChainError WalkChain(const GuestMemory& memory, const VringDesc* table, uint16_t queue_size,
                     uint16_t head, ChainDirection direction, Chain& out) {
  if (head >= queue_size) return ChainError::kHeadOutOfRange;
  out.head = head;
  out.num_segments = 0;
  uint64_t total = 0;
  uint32_t visited = 0;
  const ChainError e =
      WalkTable(memory, table, queue_size, queue_size, head, true, direction, visited, total, out);
  out.total_len = static_cast<uint32_t>(
      total < std::numeric_limits<uint32_t>::max() ? total : std::numeric_limits<uint32_t>::max());
  return e;
}

}  // namespace zcswitch
