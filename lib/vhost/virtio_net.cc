#include "lib/vhost/virtio_net.h"

#include <rte_cycles.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "lib/offload/soft_offload.h"

namespace zcswitch {
namespace {

constexpr uint32_t kHdrLen = sizeof(VirtioNetHdr);
// A packet may spread over at most this many receive buffers: enough for a
// 64 KB segmentation request in buffers of 1 KB.
constexpr uint16_t kMaxBuffersPerPacket = 80;

void Notify(LiveVring& v) {
  v.queue.PublishUsed();
  if (v.call_fd >= 0 && v.queue.NeedsNotify()) {
    eventfd_write(v.call_fd, 1);
    v.counters->calls.Add(1);
  }
}

// Returns buffer `head` to the guest with nothing written into it, unless it
// names no descriptor at all: a used id must be the head of a chain (virtio
// 1.x, 2.7.8), and drivers index their own arrays with it (DPDK's virtio PMD
// without a check). Such a head is counted as kHeadOutOfRange instead.
void ReturnEmpty(LiveVring& v, uint16_t head) {
  if (head < v.queue.size()) v.queue.PushUsed(head, 0);
}

// Copies the chain's bytes from `skip` on into a new mbuf chain from `pool`.
rte_mbuf* CopyOut(const Chain& chain, uint32_t skip, rte_mempool* pool) {
  rte_mbuf* head = rte_pktmbuf_alloc(pool);
  if (head == nullptr) return nullptr;
  rte_mbuf* tail = head;
  for (uint16_t s = 0; s < chain.num_segments; ++s) {
    const uint8_t* src = chain.segments[s].data;
    uint32_t left = chain.segments[s].len;
    if (skip >= left) {
      skip -= left;
      continue;
    }
    src += skip;
    left -= skip;
    skip = 0;
    while (left > 0) {
      if (rte_pktmbuf_tailroom(tail) == 0) {
        rte_mbuf* next = rte_pktmbuf_alloc(pool);
        if (next == nullptr) {
          rte_pktmbuf_free(head);
          return nullptr;
        }
        tail->next = next;
        tail = next;
        ++head->nb_segs;
      }
      const uint32_t n = std::min<uint32_t>(left, rte_pktmbuf_tailroom(tail));
      // SAFETY: [src, src + n) lies in segment s, which WalkChain checked is
      // inside guest memory (skip and n never exceed what is left of it); the
      // mbuf has n bytes of tailroom.
      std::memcpy(rte_pktmbuf_mtod_offset(tail, uint8_t*, tail->data_len), src, n);
      tail->data_len += n;
      head->pkt_len += n;
      src += n;
      left -= n;
    }
  }
  return head;
}

// The header at the start of a transmit chain longer than the header; it may
// be spread over several segments.
VirtioNetHdr ReadHeader(const Chain& chain) {
  VirtioNetHdr hdr;
  if (chain.segments[0].len >= kHdrLen) {
    // SAFETY: the first segment holds the whole header; WalkChain checked it
    // is inside guest memory. One fixed-size copy: no byte loop for the
    // common case.
    std::memcpy(&hdr, chain.segments[0].data, kHdrLen);
    return hdr;
  }
  auto* out = reinterpret_cast<uint8_t*>(&hdr);
  uint32_t got = 0;
  for (uint16_t s = 0; got < kHdrLen; ++s) {
    const uint32_t n = std::min(kHdrLen - got, chain.segments[s].len);
    // SAFETY: n is at most the segment's length, and WalkChain checked the
    // segment is inside guest memory; the segments hold more than kHdrLen
    // bytes in all (the caller checked total_len), so s stays below
    // num_segments.
    std::memcpy(out + got, chain.segments[s].data, n);
    got += n;
  }
  return hdr;
}

// Where the next bytes of a packet go in the receive buffers.
struct Cursor {
  const Chain* chain;
  uint16_t segment = 0;
  uint32_t offset = 0;   // in the segment
  uint32_t written = 0;  // in the whole chain

  // Copies up to `len` bytes; returns how many fitted.
  uint32_t Write(const uint8_t* src, uint32_t len) {
    uint32_t done = 0;
    while (done < len && segment < chain->num_segments) {
      const ChainSegment& seg = chain->segments[segment];
      const uint32_t n = std::min(len - done, seg.len - offset);
      // SAFETY: offset + n <= seg.len, and WalkChain checked the segment is
      // inside guest memory (and device-writable). A lent packet's bytes are
      // guest memory too, and a guest sending to itself may make its
      // transmit and receive buffers overlap: memmove.
      std::memmove(seg.data + offset, src + done, n);
      done += n;
      offset += n;
      if (offset == seg.len) {
        ++segment;
        offset = 0;
      }
    }
    written += done;
    return done;
  }
};

// Where the next bytes of a packet come from in its mbufs.
struct MbufReader {
  const rte_mbuf* seg;
  uint32_t offset = 0;  // in seg

  // Copies up to `max` bytes into `out`, until the packet or the buffers
  // end; returns how many.
  uint32_t CopyTo(Cursor& out, uint32_t max) {
    uint32_t copied = 0;
    while (seg != nullptr && copied < max) {
      const uint32_t len = rte_pktmbuf_data_len(seg) - offset;
      const uint32_t wrote = out.Write(rte_pktmbuf_mtod_offset(seg, const uint8_t*, offset), len);
      copied += wrote;
      offset += wrote;
      if (offset == rte_pktmbuf_data_len(seg)) {
        seg = seg->next;
        offset = 0;
      }
      if (wrote < len) break;  // the buffers are full
    }
    return copied;
  }
};

// Copies `len` packet bytes into one large mbuf when they do not fit a small
// one and the large pool has one to give; into small mbufs otherwise.
rte_mbuf* CopyOut(const Chain& chain, uint32_t skip, const MbufPools& pools, uint32_t len) {
  const uint32_t small_room = rte_pktmbuf_data_room_size(pools.small) - RTE_PKTMBUF_HEADROOM;
  if (pools.large != nullptr && len > small_room) {
    if (rte_mbuf* m = CopyOut(chain, skip, pools.large); m != nullptr) return m;
  }
  return CopyOut(chain, skip, pools.small);
}

// How placing one packet into a receive vring ended.
enum class Placement : uint8_t {
  kPlaced,     // its buffers are pushed as used, holding it
  kDropped,    // its buffers are pushed as used, empty; the reason is counted
  kNoBuffers,  // not enough buffers yet: none taken, nothing counted
};

// Places `m`, after the receive header `hdr`, into the next available buffer
// of the receive vring, or with VIRTIO_NET_F_MRG_RXBUF into as many as it
// needs, and pushes them as used (unpublished). A bad chain, or buffers too
// small for the packet (all the ring's buffers at once included), drop it:
// the buffers taken go back empty. When the guest has not made enough
// buffers available yet, those taken are given back to be taken again. The
// caller still owns `m`.
Placement PlacePacket(LiveVring& v, const rte_mbuf* m, VirtioNetHdr hdr) {
  hdr.num_buffers = 1;
  const uint32_t need = kHdrLen + rte_pktmbuf_pkt_len(m);
  uint16_t heads[kMaxBuffersPerPacket];
  uint32_t lens[kMaxBuffersPerPacket];
  uint16_t buffers = 0;
  uint8_t* num_buffers = nullptr;  // in the first buffer's header
  MbufReader packet{m};
  uint32_t placed = 0;  // header and packet bytes written so far
  bool bad = false;
  while (placed < need) {
    if (buffers == kMaxBuffersPerPacket || (buffers == 1 && !v.mergeable)) {
      bad = true;  // the buffers on offer are too small for this packet
      v.counters->too_small.Add(1);
      break;
    }
    if (v.queue.AvailCount() == 0) {
      if (buffers == v.queue.size()) {
        // Every buffer the ring has cannot hold it: waiting would not help,
        // and the caller would drop the rest of its burst behind it.
        bad = true;
        v.counters->too_small.Add(1);
        break;
      }
      // Benign: the guest has not refilled yet. Nothing of this packet was
      // pushed, so its buffers go back to be taken again.
      v.queue.UndoPop(buffers);
      return Placement::kNoBuffers;
    }
    const uint16_t head = v.queue.PopAvail();
    heads[buffers] = head;
    lens[buffers] = 0;
    ++buffers;
    const ChainError e = WalkChain(*v.memory, v.queue.desc_table(), v.queue.size(), head,
                                   ChainDirection::kDeviceWrites, v.chain);
    if (e != ChainError::kNone) {
      v.counters->bad_chains[static_cast<size_t>(e)].Add(1);
      bad = true;
      break;
    }
    if (v.chain.total_len == 0) {  // a buffer with no room at all
      v.counters->too_small.Add(1);
      bad = true;
      break;
    }
    Cursor out{&v.chain};
    if (placed == 0) {
      // The header goes whole into the first segment of the first buffer,
      // so that num_buffers can be filled in once the count is known.
      if (v.chain.num_segments == 0 || v.chain.segments[0].len < kHdrLen) {
        v.counters->too_small.Add(1);
        bad = true;
        break;
      }
      out.Write(reinterpret_cast<const uint8_t*>(&hdr), kHdrLen);
      num_buffers = v.chain.segments[0].data + offsetof(VirtioNetHdr, num_buffers);
      placed = kHdrLen;
    }
    placed += packet.CopyTo(out, need - placed);
    lens[buffers - 1] = out.written;
  }
  if (bad) {
    for (uint16_t b = 0; b < buffers; ++b) ReturnEmpty(v, heads[b]);
    return Placement::kDropped;
  }
  // SAFETY: num_buffers points into the first segment of the first buffer,
  // which is at least kHdrLen bytes long (checked above). The guest chose
  // the buffer's address: the field may be unaligned, hence memcpy.
  std::memcpy(num_buffers, &buffers, sizeof(buffers));
  for (uint16_t b = 0; b < buffers; ++b) v.queue.PushUsed(heads[b], lens[b]);
  return Placement::kPlaced;
}


// A lent packet's first segment is a host copy of at least this much, and
// never more than this.
constexpr uint32_t kMaxHeaderCopy = 512;
// An external buffer's length is 16 bits.
constexpr uint32_t kMaxPiece = 32768;
// The pieces one lent packet may have: a segment per chain segment, plus
// those split at kMaxPiece.
constexpr uint16_t kMaxPieces = Chain::kMaxSegments + Chain::kMaxBytes / kMaxPiece + 1;
// The TCP header at its longest, with options.
constexpr uint32_t kMaxTcpHeader = 60;

// What this burst may lend, decided once per burst.
struct ZcopyPlan {
  bool lending = false;  // the vring may lend at all
  uint32_t threshold = 0;
  uint32_t header_bytes = 0;
  uint32_t cap = 0;  // heads lent at most
  uint64_t now = 0;  // TSC at the first packet lent; read then, not per burst
};

ZcopyPlan PlanZcopy(const LiveVring& v) {
  ZcopyPlan plan;
  if (v.inflight == nullptr || !v.zcopy->enabled()) return plan;
  plan.lending = true;
  plan.threshold = v.zcopy->copy_threshold();
  plan.header_bytes = v.zcopy->header_bytes();
  // However large max_inflight is, half the ring stays the guest's.
  plan.cap = std::min<uint32_t>(v.zcopy->max_inflight(), v.queue.size() / 2u);
  return plan;
}

// How many bytes of a `len`-byte packet to copy before lending the rest, or
// 0 to copy it all (`why` says why). The copy covers what
// the switch and the offload code read and write: the Ethernet, VLAN and IP
// headers, and for an offload request the L4 header up to its checksum
// field, or whole for segmentation (invariant 4).
uint32_t ZcopyHeaderLen(const LiveVring& v, const ZcopyPlan& plan, const VirtioNetHdr& hdr,
                        uint32_t len, CopyReason& why) {
  why = CopyReason::kDisabled;
  if (!plan.lending) return 0;
  why = CopyReason::kSmall;
  if (len <= plan.threshold) return 0;
  uint32_t header = plan.header_bytes;
  if (hdr.flags & kVirtioNetHdrFNeedsCsum) {
    header = std::max(header, uint32_t{hdr.csum_start} + hdr.csum_offset + 2);
    if (hdr.gso_type != kVirtioNetHdrGsoNone) {
      header = std::max(header, uint32_t{hdr.csum_start} + kMaxTcpHeader);
    }
  }
  if (header >= len || header > kMaxHeaderCopy) return 0;
  if (v.inflight->held() >= plan.cap) {
    why = CopyReason::kInflightFull;
    return 0;
  }
  return header;
}

// Whether `head` (below the queue size) is still lent: a guest that makes
// it available again is either broken or hostile. Counted; never returned
// twice.
bool HeldAlready(LiveVring& v, uint16_t head) {
  if (v.inflight == nullptr || head >= v.queue.size() || !v.inflight->IsHeld(head)) return false;
  v.zcopy_counters->head_in_use.Add(1);
  return true;
}

// Returns to the used ring every lent head given back; true if there were any.
bool ReturnCollected(LiveVring& v) {
  InflightTable::Completion done[64];
  bool any = false;
  const uint64_t now = rte_get_tsc_cycles();
  while (const uint16_t k = v.inflight->Collect(done, 64, now, *v.zcopy_counters)) {
    for (uint16_t i = 0; i < k; ++i) v.queue.PushUsed(done[i].head, 0);
    any = true;
  }
  if (any) v.zcopy_counters->SetInflight(v.inflight->held());
  return any;
}

// Copies `n` bytes of the chain from `skip` on to `out`.
void CopyBytes(const Chain& chain, uint32_t skip, uint32_t n, uint8_t* out) {
  for (uint16_t s = 0; n > 0 && s < chain.num_segments; ++s) {
    const ChainSegment& seg = chain.segments[s];
    if (skip >= seg.len) {
      skip -= seg.len;
      continue;
    }
    const uint32_t k = std::min(n, seg.len - skip);
    // SAFETY: [skip, skip + k) lies in segment s, inside guest memory.
    std::memcpy(out, seg.data + skip, k);
    out += k;
    n -= k;
    skip = 0;
  }
}

// The packet of the chain in v.chain, `len` bytes after the virtio-net
// header: its first `header` bytes copied into an mbuf from `pool`, the rest
// lent from guest memory in mbufs of `pool` with external buffers. nullptr,
// and nothing lent, when the pool runs short.
rte_mbuf* LendOut(LiveVring& v, uint16_t head, uint32_t header, uint32_t len, uint64_t now,
                  rte_mempool* pool) {
  const Chain& chain = v.chain;
  const uint32_t start = kHdrLen + header;  // where the lent bytes begin in the chain
  uint16_t pieces = 0;
  uint32_t skip = start;
  for (uint16_t s = 0; s < chain.num_segments; ++s) {
    const uint32_t seg_len = chain.segments[s].len;
    if (skip >= seg_len) {
      skip -= seg_len;
      continue;
    }
    pieces += static_cast<uint16_t>((seg_len - skip + kMaxPiece - 1) / kMaxPiece);
    skip = 0;
  }
  rte_mbuf* mbufs[kMaxPieces + 1];
  if (rte_pktmbuf_alloc_bulk(pool, mbufs, pieces + 1u) != 0) return nullptr;
  rte_mbuf* first = mbufs[0];
  CopyBytes(chain, kHdrLen, header, rte_pktmbuf_mtod(first, uint8_t*));
  first->data_len = static_cast<uint16_t>(header);
  first->pkt_len = len;
  first->nb_segs = static_cast<uint16_t>(pieces + 1);
  rte_mbuf_ext_shared_info* shinfo = v.inflight->Hold(head, len, pieces, now);
  rte_mbuf* tail = first;
  uint16_t next = 1;
  skip = start;
  for (uint16_t s = 0; s < chain.num_segments; ++s) {
    const ChainSegment& seg = chain.segments[s];
    if (skip >= seg.len) {
      skip -= seg.len;
      continue;
    }
    for (uint32_t off = skip; off < seg.len; off += kMaxPiece) {
      const uint32_t piece = std::min(kMaxPiece, seg.len - off);
      uint8_t* data = seg.data + off;
      rte_mbuf* m = mbufs[next++];
      // SAFETY: [data, data + piece) lies in segment s, which WalkChain
      // checked is inside guest memory; the table keeps it mapped until
      // the last mbuf attached here is freed.
      rte_pktmbuf_attach_extbuf(
          m, data, v.iova_is_va ? reinterpret_cast<rte_iova_t>(data) : RTE_BAD_IOVA,
          static_cast<uint16_t>(piece), shinfo);
      m->data_len = static_cast<uint16_t>(piece);
      tail->next = m;
      tail = m;
    }
    skip = 0;
  }
  return first;
}

}  // namespace

uint16_t DequeueBurst(LiveVring& v, const MbufPools& pools, rte_mbuf** pkts, uint16_t n) {
  bool returned = v.inflight != nullptr && v.inflight->held() != 0 && ReturnCollected(v);
  const uint16_t avail = std::min(v.queue.AvailCount(), n);
  if (v.discard) {
    uint16_t discarded = 0;
    for (uint16_t i = 0; i < avail; ++i) {
      const uint16_t head = v.queue.PopAvail();
      // Counted once: as a bad chain, as lent already, or as discarded.
      if (head >= v.queue.size()) {
        v.counters->bad_chains[static_cast<size_t>(ChainError::kHeadOutOfRange)].Add(1);
      } else if (HeldAlready(v, head)) {
        continue;
      } else {
        ++discarded;
      }
      ReturnEmpty(v, head);
    }
    v.counters->discarded.Add(discarded);
    if (avail != 0 || returned) Notify(v);
    return 0;
  }
  ZcopyPlan plan = PlanZcopy(v);
  // Copies by reason, counted once per burst rather than per packet.
  uint16_t copied[kNumCopyReasons] = {};
  uint16_t got = 0;
  for (uint16_t i = 0; i < avail; ++i) {
    const uint16_t head = v.queue.PopAvail();
    if (HeldAlready(v, head)) continue;
    const ChainError e = WalkChain(*v.memory, v.queue.desc_table(), v.queue.size(), head,
                                   ChainDirection::kDeviceReads, v.chain);
    bool lent = false;
    if (e != ChainError::kNone) {
      v.counters->bad_chains[static_cast<size_t>(e)].Add(1);
    } else if (v.chain.total_len <= kHdrLen) {
      v.counters->short_packet.Add(1);
    } else {
      const VirtioNetHdr hdr = ReadHeader(v.chain);
      const uint32_t len = v.chain.total_len - kHdrLen;
      rte_mbuf* m = nullptr;
      CopyReason why;
      if (const uint32_t header = ZcopyHeaderLen(v, plan, hdr, len, why); header != 0) {
        if (plan.now == 0) plan.now = rte_get_tsc_cycles();
        m = LendOut(v, head, header, len, plan.now, pools.small);
        lent = m != nullptr;
      } else {
        m = CopyOut(v.chain, kHdrLen, pools, len);
        if (m != nullptr) ++copied[static_cast<size_t>(why)];
      }
      if (m == nullptr) {
        v.counters->no_mbuf.Add(1);
      } else if (HasOffloads(hdr) && !ApplyOffloads(hdr, m)) {
        // A lent packet's head comes back when this frees it.
        rte_pktmbuf_free(m);
        v.counters->bad_offload.Add(1);
      } else {
        pkts[got++] = m;
      }
    }
    // Copied (or refused): the guest may have its buffer back at once.
    if (!lent) {
      ReturnEmpty(v, head);
      returned = true;
    }
  }
  if (v.zcopy_counters != nullptr) {
    for (size_t r = 0; r < kNumCopyReasons; ++r) {
      if (copied[r] != 0) v.zcopy_counters->copied[r].Add(copied[r]);
    }
    if (plan.lending) v.zcopy_counters->SetInflight(v.inflight->held());
  }
  if (returned) Notify(v);
  return got;
}

void RetireInflight(LiveVring& v, bool alive, uint32_t wait_us) {
  if (v.inflight == nullptr) return;
  if (alive) {
    const uint64_t deadline = rte_get_tsc_cycles() + wait_us * (rte_get_tsc_hz() / 1000000);
    while (true) {
      if (ReturnCollected(v)) Notify(v);
      if (v.inflight->held() == 0 || rte_get_tsc_cycles() >= deadline) break;
      usleep(200);
    }
  }
  v.zcopy_counters->abandoned.Add(v.inflight->held());
  v.zcopy_counters->SetInflight(0);
  InflightTable::Retire(v.inflight);
  v.inflight = nullptr;
}

uint16_t EnqueueBurst(LiveVring& v, rte_mbuf** pkts, uint16_t n) {
  uint16_t done = 0;
  bool pushed = false;
  for (; done < n; ++done) {
    rte_mbuf* m = pkts[done];
    VirtioNetHdr hdr{};
    if (m->ol_flags & kTxOffloadRequests) {
      // Normally SendBurst did what this guest does not take; the guest may
      // have renegotiated since.
      const uint32_t missing = MissingOffloads(m, v.rx_offloads);
      if ((missing & kTxOffloadTcpSeg) || (missing != 0 && !ResolveChecksum(m))) {
        v.counters->offload_failed.Add(1);
        rte_pktmbuf_free(m);
        continue;
      }
      HeaderForOffloads(m, hdr);
    }
    const Placement placement = PlacePacket(v, m, hdr);
    if (placement == Placement::kNoBuffers) break;
    // Placed or dropped, the packet is done with and its buffers are used.
    pushed = true;
    rte_pktmbuf_free(m);
  }
  if (pushed) Notify(v);
  return done;
}

}  // namespace zcswitch
