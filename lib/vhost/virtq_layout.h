// The split virtqueue's shared-memory layout (virtio 1.x, section 2.7), as
// the guest writes it. Little-endian: zcswitch requires VIRTIO_F_VERSION_1 and
// runs on little-endian hosts, so fields are used as they are.
#ifndef ZCSWITCH_LIB_VHOST_VIRTQ_LAYOUT_H_
#define ZCSWITCH_LIB_VHOST_VIRTQ_LAYOUT_H_

#include <cstddef>
#include <cstdint>

namespace zcswitch {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "virtio 1.x rings are little-endian");

struct VringDesc {
  uint64_t addr;  // guest-physical
  uint32_t len;
  uint16_t flags;
  uint16_t next;
};
static_assert(sizeof(VringDesc) == 16);

inline constexpr uint16_t kVringDescFNext = 1;
inline constexpr uint16_t kVringDescFWrite = 2;
inline constexpr uint16_t kVringDescFIndirect = 4;

inline constexpr uint16_t kVringAvailFNoInterrupt = 1;
inline constexpr uint16_t kVringUsedFNoNotify = 1;

// Largest queue the spec allows.
inline constexpr uint32_t kMaxQueueSize = 32768;

struct VringUsedElem {
  uint32_t id;
  uint32_t len;
};

// Byte sizes of the three areas for a queue of `size` entries (with the
// EVENT_IDX trailer, which is always part of the layout).
constexpr size_t DescTableBytes(uint32_t size) { return 16ull * size; }
constexpr size_t AvailRingBytes(uint32_t size) { return 4 + 2ull * size + 2; }
constexpr size_t UsedRingBytes(uint32_t size) { return 4 + 8ull * size + 2; }

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_VHOST_VIRTQ_LAYOUT_H_
