// Walking and validating one descriptor chain of a split virtqueue
// (docs/architecture.md, invariant 3).
//
// WalkChain() follows a chain from its head, through at most one indirect
// table, and turns it into host-memory segments. It reads each descriptor
// once into a local copy (the guest may rewrite the table meanwhile), checks
// it, and stops at the first problem with a named ChainError; nothing is
// written. A chain that passes has:
//   - every index inside its table, and no more descriptors than the queue
//     (or indirect table) has entries, nor than kMaxDescriptors, so a loop
//     cannot run forever and a walk's cost is bounded;
//   - no indirect table inside an indirect table, and no descriptor that is
//     both indirect and chained;
//   - every buffer inside guest memory (split into segments where regions
//     end), the indirect table itself too;
//   - every descriptor's direction matching the queue's: device-readable for
//     a transmit queue, device-writable for a receive queue.
#ifndef ZCSWITCH_LIB_VHOST_DESC_CHAIN_H_
#define ZCSWITCH_LIB_VHOST_DESC_CHAIN_H_

#include <cstdint>

#include "absl/strings/string_view.h"
#include "lib/base/x_list.h"
#include "lib/vhost/guest_memory.h"
#include "lib/vhost/virtq_layout.h"

namespace zcswitch {

// X(enumerator, name, description)
#define ZCSWITCH_CHAIN_ERRORS(X)                                                          \
  X(kHeadOutOfRange, "head_out_of_range", "head index beyond the queue size")             \
  X(kNextOutOfRange, "next_out_of_range", "next index beyond its table")                  \
  X(kTooLong, "chain_too_long", "more descriptors than allowed (or a loop)")              \
  X(kNestedIndirect, "nested_indirect", "an indirect table inside an indirect one")       \
  X(kIndirectWithNext, "indirect_with_next", "a descriptor both indirect and NEXT")       \
  X(kBadIndirectLength, "bad_indirect_length", "indirect table length not n * 16")        \
  X(kOutsideMemory, "outside_memory", "a buffer or table outside guest memory")           \
  X(kWrongDirection, "wrong_direction", "device-writable where readable is due, or back") \
  X(kTooManySegments, "too_many_segments", "more pieces than a chain may have")           \
  X(kTooLarge, "too_large", "more bytes than a packet may have")

enum class ChainError : uint8_t { kNone, ZCSWITCH_CHAIN_ERRORS(ZC_X_ID) };

inline constexpr size_t kNumChainErrors = ZC_X_COUNT(ZCSWITCH_CHAIN_ERRORS);

// "ok" for kNone.
absl::string_view ChainErrorName(ChainError error);

enum class ChainDirection : uint8_t {
  kDeviceReads,   // transmit queue: the guest's packet for us to read
  kDeviceWrites,  // receive queue: a buffer for us to fill
};

struct ChainSegment {
  uint8_t* data;
  uint32_t len;
};

struct Chain {
  static constexpr uint16_t kMaxSegments = 256;
  // Descriptors one walk may visit, empty ones included: far more than any
  // driver uses (Linux: up to 19), few enough to bound a malicious chain.
  static constexpr uint32_t kMaxDescriptors = 256;
  // A transmitted packet's size limit: a 64 KB TCP segmentation request
  // (VIRTIO_NET_F_HOST_TSO4/6) with its Ethernet header, plus the virtio-net
  // header.
  static constexpr uint32_t kMaxBytes = 65536 + 32;

  uint16_t head = 0;
  uint16_t num_segments = 0;
  uint32_t total_len = 0;
  ChainSegment segments[kMaxSegments];
};

// `table` is the queue's descriptor table of `queue_size` entries, in host
// memory. On kNone, `out` describes the chain; otherwise its contents are
// unspecified.
ChainError WalkChain(const GuestMemory& memory, const VringDesc* table, uint16_t queue_size,
                     uint16_t head, ChainDirection direction, Chain& out);

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_VHOST_DESC_CHAIN_H_
