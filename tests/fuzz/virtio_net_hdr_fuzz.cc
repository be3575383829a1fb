// libFuzzer target: a guest's virtio-net header and packet bytes, both its to
// choose, through everything the switch does with them: ApplyOffloads, then,
// for what it accepted, the software checksum, the segmentation and the
// receive header. Nothing may read or write outside the packet's mbufs
// (AddressSanitizer watches), loop without end, or leak mbufs: every
// segmentation ends, and the pool is full again after each input.
//
// Input: [VirtioNetHdr: 12][segment size: 2][packet bytes...]. The packet is
// copied into a chain of mbufs of that many bytes each, as a guest's large
// frames arrive.
#include <rte_eal.h>
#include <rte_mbuf.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "lib/dataplane/mbuf_pool.h"
#include "lib/offload/soft_offload.h"
#include "lib/vhost/virtio_net_hdr.h"

namespace zcswitch {
namespace {

rte_mempool* g_pool = nullptr;

rte_mbuf* ToChain(const uint8_t* data, size_t len, uint16_t seg) {
  rte_mbuf* head = nullptr;
  for (size_t off = 0; off < len || head == nullptr; off += seg) {
    rte_mbuf* m = rte_pktmbuf_alloc(g_pool);
    if (m == nullptr) abort();
    const auto n = static_cast<uint16_t>(std::min<size_t>(seg, len - off));
    std::memcpy(rte_pktmbuf_append(m, n), data + off, n);
    if (head == nullptr) {
      head = m;
    } else if (rte_pktmbuf_chain(head, m) != 0) {
      abort();
    }
  }
  return head;
}

}  // namespace
}  // namespace zcswitch

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const std::string prefix = "--file-prefix=zcfuzz" + std::to_string(getpid());
  const char* eal[] = {"fuzz", "--no-huge", "-m", "128", "--no-pci", "--no-shconf",
                       prefix.c_str(), "-l", "0", "--log-level=error"};
  if (rte_eal_init(sizeof(eal) / sizeof(eal[0]), const_cast<char**>(eal)) < 0) abort();
  auto pool = zcswitch::CreateMbufPool("fuzz_mbufs", 4095, SOCKET_ID_ANY);
  if (!pool.ok()) abort();
  zcswitch::g_pool = pool->release();  // lives as long as the process
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace zcswitch;
  constexpr size_t kPrefix = sizeof(VirtioNetHdr) + 2;
  if (size < kPrefix || size - kPrefix > 65536) return 0;
  VirtioNetHdr hdr;
  std::memcpy(&hdr, data, sizeof(hdr));
  uint16_t seg;
  std::memcpy(&seg, data + sizeof(hdr), 2);
  seg = static_cast<uint16_t>(std::clamp<int>(seg, 64, 2048));
  const unsigned in_use = rte_mempool_in_use_count(g_pool);

  rte_mbuf* m = ToChain(data + kPrefix, size - kPrefix, seg);
  if (ApplyOffloads(hdr, m)) {
    VirtioNetHdr back{};
    HeaderForOffloads(m, back);
    if (m->ol_flags & RTE_MBUF_F_TX_TCP_SEG) {
      TcpSegmenter segmenter(m);
      rte_mbuf* out[32];
      uint32_t total = 0;
      while (const uint16_t n = segmenter.Next({g_pool, nullptr}, out, 32)) {
        total += n;
        // Each segment is at most one mbuf: the headers plus gso_size.
        for (uint16_t i = 0; i < n; ++i) {
          if (out[i]->nb_segs != 1 || (out[i]->ol_flags & kTxOffloadRequests)) abort();
        }
        rte_pktmbuf_free_bulk(out, n);
      }
      // kMinGsoSize bounds how many segments one packet makes.
      if (total > 65536 / kMinGsoSize + 1) abort();
    } else if (m->ol_flags & kTxOffloadRequests) {
      ResolveChecksum(m);
    }
  }
  rte_pktmbuf_free(m);
  if (rte_mempool_in_use_count(g_pool) != in_use) abort();
  return 0;
}
