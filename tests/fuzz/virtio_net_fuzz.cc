// libFuzzer target: the virtio-net data path (DequeueBurst, EnqueueBurst) on
// vrings whose every byte the guest chooses: descriptors, avail rings,
// indirect tables, headers and packets. A guest transmits a burst; the
// packets the switch takes are then delivered to the same guest's receive
// vring. Whatever the bytes, nothing reads or writes outside guest memory or
// the mbufs (AddressSanitizer watches), and:
//   - every buffer taken is used exactly once (a head beyond the queue,
//     which names no buffer, is counted instead), and the transmit side
//     takes no more than was offered and the burst allows;
//   - every used id is below the queue size; transmit buffers come back with
//     nothing written, receive buffers with no more than the header and the
//     packet they hold (checked when packets go in one at a time: in a
//     burst, a later packet may land on the used ring);
//   - every mbuf is well formed, and each pool is as full after the input as
//     before it.
//
// With zero-copy on, transmit buffers may be lent instead: each is used
// exactly once all the same, after its mbufs are freed, and none is used
// while lent.
//
// Input: [tx size: 1][rx size: 1][flags: 1][burst: 1][guest memory...].
// A size byte b makes a queue of 1 << (b % 9) entries. The burst byte's
// low 5 bits are the burst size less one; bit 5 turns zero-copy on, and
// bits 6-7 choose max_inflight (1, 3, 16 or 32768). Flags: 1 mergeable
// receive buffers, 2 EVENT_IDX, 4 a disabled transmit vring, 8 the guest
// takes checksums, 16 and segmentation, 32 no large mbufs, 64 a nearly empty
// pool, 128 the receive side in one burst (else a packet at a time). Guest
// memory is two regions of 64 KiB with a hole between them, [0, 64 KiB) and
// [128 KiB, 192 KiB), filled from the input in that order (zeros after it).
// The rings sit at fixed places in the first region (kTxDesc...kRxUsed
// below); buffers and indirect tables anywhere.
#include <rte_eal.h>
#include <rte_mbuf.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "lib/offload/soft_offload.h"
#include "lib/vhost/virtio_net.h"

namespace zcswitch {
namespace {

constexpr uint64_t kRegionBytes = 64 << 10;
constexpr uint64_t kRegion1Gpa = 2 * kRegionBytes;
constexpr uint64_t kUvaBase = 0x100000;  // the frontend's view of region 0
constexpr uint64_t kTxDesc = 0x0000;     // room for 256 entries each
constexpr uint64_t kTxAvail = 0x1000;
constexpr uint64_t kTxUsed = 0x1400;
constexpr uint64_t kRxDesc = 0x2000;
constexpr uint64_t kRxAvail = 0x3000;
constexpr uint64_t kRxUsed = 0x3400;
constexpr size_t kConfigBytes = 4;
constexpr uint16_t kMaxBurst = 32;

enum Flags : uint8_t {
  kMergeable = 1,
  kEventIdx = 2,
  kDiscard = 4,
  kTakesCsum = 8,
  kTakesTso = 16,
  kNoLarge = 32,
  kScarce = 64,
  kWholeBurst = 128,
};

struct Env {
  std::shared_ptr<const GuestMemory> memory;
  uint8_t* region0;
  uint8_t* region1;
  rte_mempool* small;
  rte_mempool* large;
  rte_mempool* scarce;  // a few small mbufs, to run dry inside a burst
  int call_fd;
};

Env* g_env = nullptr;

rte_mempool* MakePool(const char* name, unsigned n, uint16_t data_room) {
  // No per-lcore cache, so that in-use counts are exact and the scarce pool
  // really runs dry.
  rte_mempool* pool = rte_pktmbuf_pool_create(name, n, 0, 0, data_room, SOCKET_ID_ANY);
  if (pool == nullptr) abort();
  return pool;
}

unsigned InUse() {
  return rte_mempool_in_use_count(g_env->small) + rte_mempool_in_use_count(g_env->large) +
         rte_mempool_in_use_count(g_env->scarce);
}

uint16_t* Ring16(uint64_t gpa) { return reinterpret_cast<uint16_t*>(g_env->region0 + gpa); }

// A vring at `desc`, `avail`, `used` in region 0; abort()s if the layout
// is refused, which it never should be.
void MakeVring(LiveVring& v, VringCounters& counters, uint64_t desc, uint64_t avail,
               uint64_t used, uint16_t size, bool event_idx) {
  auto queue = SplitQueue::Create(*g_env->memory,
                                  {kUvaBase + desc, kUvaBase + avail, kUvaBase + used}, size, 0,
                                  event_idx);
  if (!queue.ok()) abort();
  v.memory = g_env->memory;
  v.queue = *queue;
  v.call_fd = g_env->call_fd;
  v.counters = &counters;
}

// How many entries the driver has made available to a queue starting at
// avail index 0: what the device may take, 0 when it claims too many.
uint16_t Offered(uint64_t avail, uint16_t size) {
  const uint16_t idx = Ring16(avail)[1];
  return idx > size ? 0 : idx;
}

// Where a vring was, to see what one call did to it.
struct Mark {
  uint16_t next_avail;
  uint16_t next_used;
  uint64_t heads_out_of_range;
};

Mark MarkOf(const LiveVring& v) {
  return {v.queue.next_avail(), v.queue.next_used(),
          v.counters->bad_chains[static_cast<size_t>(ChainError::kHeadOutOfRange)].Read()};
}

// Checks that every buffer `v` took since `before` and did not give back is
// used exactly once, except heads that name no descriptor, and, with
// `entries`, that each used entry has an id below the queue size and at most
// `max_len` bytes. The entries are read back from the used ring at `used`,
// so only right after the call: a guest may put a receive buffer on top of
// its own used ring, and the next packet's bytes land there. Returns how
// many buffers were taken.
uint16_t CheckTaken(const LiveVring& v, const Mark& before, uint64_t used, bool entries,
                    uint32_t max_len) {
  const Mark now = MarkOf(v);
  const auto taken = static_cast<uint16_t>(now.next_avail - before.next_avail);
  const auto pushed = static_cast<uint16_t>(now.next_used - before.next_used);
  if (taken != pushed + (now.heads_out_of_range - before.heads_out_of_range)) abort();
  if (!entries) return taken;
  const auto* ring = reinterpret_cast<const VringUsedElem*>(Ring16(used) + 2);
  for (uint16_t i = before.next_used; i != now.next_used; ++i) {
    const VringUsedElem& e = ring[i & (v.queue.size() - 1)];
    if (e.id >= v.queue.size() || e.len > max_len) abort();
  }
  return taken;
}

}  // namespace
}  // namespace zcswitch

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  using namespace zcswitch;
  const std::string prefix = "--file-prefix=zcfuzz" + std::to_string(getpid());
  const char* eal[] = {"fuzz", "--no-huge", "-m", "128", "--no-pci", "--no-shconf",
                       prefix.c_str(), "-l", "0", "--log-level=error"};
  if (rte_eal_init(sizeof(eal) / sizeof(eal[0]), const_cast<char**>(eal)) < 0) abort();
  const int fd = memfd_create("zc-fuzz-virtio-net", MFD_CLOEXEC);
  if (fd < 0 || ftruncate(fd, 2 * kRegionBytes) != 0) abort();
  const MemoryRegionDesc regions[] = {
      {0, kRegionBytes, kUvaBase, 0},
      {kRegion1Gpa, kRegionBytes, kUvaBase + 4 * kRegionBytes, kRegionBytes}};
  const int fds[] = {fd, dup(fd)};
  auto memory = GuestMemory::Map(regions, fds);
  if (!memory.ok()) abort();
  // Lives as long as the process.
  g_env = new Env{*memory,
                  (*memory)->GpaToHva(0, kRegionBytes),
                  (*memory)->GpaToHva(kRegion1Gpa, kRegionBytes),
                  MakePool("fuzz_small", 4095, RTE_MBUF_DEFAULT_BUF_SIZE),
                  MakePool("fuzz_large", 255, RTE_PKTMBUF_HEADROOM + 9216),
                  MakePool("fuzz_scarce", 8, RTE_MBUF_DEFAULT_BUF_SIZE),
                  eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace zcswitch;
  if (size < kConfigBytes) return 0;
  const auto tx_size = static_cast<uint16_t>(1u << (data[0] % 9));
  const auto rx_size = static_cast<uint16_t>(1u << (data[1] % 9));
  const uint8_t flags = data[2];
  const auto burst = static_cast<uint16_t>(1 + data[3] % kMaxBurst);
  const uint8_t* body = data + kConfigBytes;
  const size_t body_len = size - kConfigBytes;
  std::memset(g_env->region0, 0, kRegionBytes);
  std::memset(g_env->region1, 0, kRegionBytes);
  std::memcpy(g_env->region0, body, std::min<size_t>(body_len, kRegionBytes));
  if (body_len > kRegionBytes) {
    std::memcpy(g_env->region1, body + kRegionBytes,
                std::min<size_t>(body_len - kRegionBytes, kRegionBytes));
  }

  static VringCounters tx_counters, rx_counters;
  static ZcopyCounters zc_counters;
  static ZcopySettings zc_settings;
  static LiveVring tx, rx;
  const bool event_idx = flags & kEventIdx;
  MakeVring(tx, tx_counters, kTxDesc, kTxAvail, kTxUsed, tx_size, event_idx);
  const bool lend = data[3] & 0x20;
  if (lend) {
    constexpr uint32_t kCaps[] = {1, 3, 16, 32768};
    zc_settings.Set(
        {.copy_threshold = 16, .max_inflight = kCaps[data[3] >> 6], .header_bytes = 64});
    tx.inflight = InflightTable::Create(tx_size, g_env->memory);
    tx.zcopy = &zc_settings;
    tx.zcopy_counters = &zc_counters;
  }
  const uint64_t held_again = zc_counters.head_in_use.Read();
  MakeVring(rx, rx_counters, kRxDesc, kRxAvail, kRxUsed, rx_size, event_idx);
  tx.discard = flags & kDiscard;
  rx.mergeable = flags & kMergeable;
  rx.rx_offloads = ((flags & kTakesCsum) ? kTxOffloadL4Csum : 0) |
                   ((flags & kTakesTso) ? kTxOffloadTcpSeg : 0);
  const MbufPools pools = {(flags & kScarce) ? g_env->scarce : g_env->small,
                           (flags & kNoLarge) ? nullptr : g_env->large};
  const unsigned in_use = InUse();

  // The guest transmits.
  const uint16_t tx_offered = std::min(Offered(kTxAvail, tx_size), burst);
  const Mark tx_before = MarkOf(tx);
  rte_mbuf* pkts[kMaxBurst];
  const uint16_t got = DequeueBurst(tx, pools, pkts, burst);
  if (got > tx_offered || (tx.discard && got != 0)) abort();
  const uint32_t lent = lend ? tx.inflight->held() : 0;
  const Mark tx_after = MarkOf(tx);
  // Transmit buffers come back with nothing written. Nothing here writes
  // guest memory but the used ring, so the avail ring says what was offered.
  // Lent buffers, and heads offered again while lent, are not back yet.
  const auto tx_taken = static_cast<uint16_t>(tx_after.next_avail - tx_before.next_avail);
  const auto tx_pushed = static_cast<uint16_t>(tx_after.next_used - tx_before.next_used);
  const uint64_t tx_oor = tx_after.heads_out_of_range - tx_before.heads_out_of_range;
  const uint64_t tx_again = zc_counters.head_in_use.Read() - held_again;
  if (tx_taken > tx_offered || tx_taken != tx_pushed + tx_oor + lent + tx_again) abort();
  if (lend && lent > std::min<uint32_t>(zc_settings.max_inflight(), tx_size / 2u)) abort();
  uint32_t lens[kMaxBurst];
  for (uint16_t i = 0; i < got; ++i) {
    const char* reason = nullptr;
    if (rte_mbuf_check(pkts[i], 1, &reason) != 0) abort();
    lens[i] = rte_pktmbuf_pkt_len(pkts[i]);
    if (lens[i] == 0 || lens[i] > Chain::kMaxBytes - sizeof(VirtioNetHdr)) abort();
  }

  // And receives what it sent: in one burst, or a packet at a time with
  // each packet's used entries checked before the next one's bytes land.
  // (Its bytes may land on its own rings: what was offered is not checked
  // here.)
  uint16_t sent = 0;
  if (flags & kWholeBurst) {
    const Mark before = MarkOf(rx);
    sent = EnqueueBurst(rx, pkts, got);
    if (sent > got) abort();
    CheckTaken(rx, before, kRxUsed, false, 0);
  } else {
    for (; sent < got; ++sent) {
      const Mark before = MarkOf(rx);
      if (EnqueueBurst(rx, pkts + sent, 1) == 0) break;
      const uint16_t taken =
          CheckTaken(rx, before, kRxUsed, true, sizeof(VirtioNetHdr) + lens[sent]);
      // Without mergeable buffers a packet takes at most one buffer.
      if (!rx.mergeable && taken > 1) abort();
    }
  }
  rte_pktmbuf_free_bulk(pkts + sent, got - sent);
  if (lend) {
    // Every mbuf is freed: every lent buffer comes back now, once.
    const Mark before = MarkOf(tx);
    RetireInflight(tx, true, 0);
    if (zc_counters.abandoned.Read() != 0) abort();
    const auto returned = static_cast<uint16_t>(tx.queue.next_used() - before.next_used);
    if (returned != lent) abort();
    const auto* ring = reinterpret_cast<const VringUsedElem*>(Ring16(kTxUsed) + 2);
    for (uint16_t i = tx_before.next_used; i != tx.queue.next_used(); ++i) {
      if (ring[i & (tx_size - 1)].id >= tx_size) abort();
    }
  }

  eventfd_t calls;
  eventfd_read(g_env->call_fd, &calls);
  if (InUse() != in_use) abort();
  return 0;
}
