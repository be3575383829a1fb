#include "lib/switch/fwd_engine.h"

#include "lib/offload/soft_offload.h"
#include "lib/zcopy/zcopy_mbuf.h"

namespace zcswitch {
namespace {

// Segments are made and sent this many at a time.
constexpr uint16_t kSegmentBatch = 32;

// Hands pkts[0, n) to `out`, retrying; frees and counts what stays.
void TransmitRun(const FwdContext& ctx, Port& out, QueueCounters& counters, rte_mbuf** pkts,
                 uint16_t n) {
  if (n == 0) return;
  uint16_t sent = out.Transmit(ctx.tx_queue, pkts, n);
  for (uint32_t retry = 0; sent < n && retry < ctx.tx_retries; ++retry) {
    sent += out.Transmit(ctx.tx_queue, pkts + sent, n - sent);
  }
  DropBurst(counters, DropReason::kTxFull, pkts + sent, n - sent);
}

// Sends `packet`'s segments in its place, and frees it.
void TransmitSegmented(const FwdContext& ctx, Port& out, QueueCounters& counters,
                       rte_mbuf* packet) {
  TcpSegmenter segmenter(packet);
  rte_mbuf* segments[kSegmentBatch];
  while (const uint16_t n = segmenter.Next(ctx.pools, segments, kSegmentBatch)) {
    TransmitRun(ctx, out, counters, segments, n);
  }
  if (segmenter.failed()) counters.Drop(DropReason::kOffload, 1);
  rte_pktmbuf_free(packet);
}

// Copies the zero-copy packets of the burst that `out` may not take by
// reference; notes `out` for reaping if it takes some that it holds. Returns
// the burst's new length: a packet that could not be copied is dropped.
uint16_t ApplyOrphanRule(const FwdContext& ctx, Port& out, QueueCounters& counters,
                         rte_mbuf** pkts, uint16_t n) {
  const ZcopyTarget target = out.zcopy_target();
  if (target == ZcopyTarget::kReference) return n;
  if (target == ZcopyTarget::kCopiesOut) {
    for (uint16_t i = 0; i < n; ++i) {
      if (rte_mbuf_ext_shared_info* shinfo = ZcopyShinfo(pkts[i])) {
        InflightTable::NoteOrphan(shinfo, CopyReason::kNotPrompt);
      }
    }
    return n;
  }
  if (target == ZcopyTarget::kReaped) {
    if (ctx.reaper == nullptr) return n;
    for (uint16_t i = 0; i < n; ++i) {
      if (IsZcopy(pkts[i])) {
        ctx.reaper->Sent(&out, ctx.now);
        break;
      }
    }
    return n;
  }
  const CopyReason reason =
      target == ZcopyTarget::kCopyNoReap ? CopyReason::kNoReap : CopyReason::kNotPrompt;
  uint16_t kept = 0;
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    if (IsZcopy(m)) {
      m = OrphanZcopy(m, CopyPoolFor(ctx.pools, m), reason);
      if (m == nullptr) {
        counters.Drop(DropReason::kNoMbuf, 1);
        continue;
      }
    }
    pkts[kept++] = m;
  }
  return kept;
}

}  // namespace

void DropBurst(QueueCounters& queue, DropReason reason, rte_mbuf** pkts, uint16_t n) {
  if (n == 0) return;
  rte_pktmbuf_free_bulk(pkts, n);
  queue.Drop(reason, n);
}

rte_mempool* CopyPoolFor(const MbufPools& pools, const rte_mbuf* m) {
  if (pools.large != nullptr &&
      rte_pktmbuf_pkt_len(m) + RTE_PKTMBUF_HEADROOM > rte_pktmbuf_data_room_size(pools.small)) {
    return pools.large;
  }
  return pools.small;
}

void SendBurst(const FwdContext& ctx, Port& out, rte_mbuf** pkts, uint16_t n) {
  if (n == 0) return;
  QueueCounters& counters = out.stats().tx(ctx.tx_queue);
  if (!out.link_up()) {
    DropBurst(counters, DropReason::kLinkDown, pkts, n);
    return;
  }
  n = ApplyOrphanRule(ctx, out, counters, pkts, n);
  // Runs of packets the port takes as they are go out whole; a packet with
  // an offload the port lacks is dealt with in order, between runs.
  const uint32_t caps = out.tx_offloads();
  uint16_t run = 0;
  for (uint16_t i = 0; i < n; ++i) {
    const uint32_t missing = MissingOffloads(pkts[i], caps);
    if (missing == 0) continue;
    if (!(missing & kTxOffloadTcpSeg) && ResolveChecksum(pkts[i])) continue;
    TransmitRun(ctx, out, counters, pkts + run, i - run);
    if (missing & kTxOffloadTcpSeg) {
      TransmitSegmented(ctx, out, counters, pkts[i]);
    } else {
      DropBurst(counters, DropReason::kOffload, pkts + i, 1);
    }
    run = i + 1;
  }
  TransmitRun(ctx, out, counters, pkts + run, n - run);
}

}  // namespace zcswitch
