// What the tests on real mbufs share: EAL (in memory, no hugepages, no
// devices) set up by mbuf_test_main.cc, its mempool, a port that keeps
// what it is sent, and zero-copy packets made as DequeueBurst makes them.
#ifndef ZCSWITCH_TESTS_UNIT_MBUF_TEST_ENV_H_
#define ZCSWITCH_TESTS_UNIT_MBUF_TEST_ENV_H_

#include <rte_mbuf.h>

#include <algorithm>
#include <deque>
#include <string>
#include <vector>

#include "lib/switch/port.h"
#include "lib/zcopy/inflight_table.h"

namespace zcswitch {

// 2 KB mbufs, made before any test runs.
extern rte_mempool* g_pool;

// A port that keeps what it is sent. `accept` scripts how many packets each
// successive TxBurst takes (the rest of the script: everything).
class ScriptedPort : public Port {
 public:
  explicit ScriptedPort(std::string name) : Port(std::move(name), 1, 1) { set_link_up(true); }
  ~ScriptedPort() override {
    for (rte_mbuf* m : sent) rte_pktmbuf_free(m);
  }
  absl::string_view type_name() const override { return "scripted"; }
  std::string Describe() const override { return "scripted"; }
  absl::Status Start() override { return absl::OkStatus(); }
  void Stop() override {}
  void RefreshLink() override {}
  void SetLink(bool up) { set_link_up(up); }
  void SetOffloads(uint32_t caps) { set_tx_offloads(caps); }
  void SetZcopyTarget(ZcopyTarget target) { set_zcopy_target(target); }

  std::deque<uint16_t> accept;
  std::vector<rte_mbuf*> sent;
  int tx_calls = 0;
  int reaped = 0;  // ReapTx calls

 protected:
  uint16_t RxBurst(uint16_t, rte_mbuf**, uint16_t) override { return 0; }
  uint16_t TxBurst(uint16_t, rte_mbuf** pkts, uint16_t n) override {
    ++tx_calls;
    uint16_t take = n;
    if (!accept.empty()) {
      take = std::min<uint16_t>(n, accept.front());
      accept.pop_front();
    }
    sent.insert(sent.end(), pkts, pkts + take);
    return take;
  }
  void ReapTx(uint16_t) override { ++reaped; }
};

// A zero-copy packet lent from `table` under `head`: the first `header` of
// `len` bytes at `data` copied into an mbuf of g_pool, the rest referenced
// where it lies (which must outlive the packet).
inline rte_mbuf* LentPacket(InflightTable& table, uint16_t head, uint8_t* data, uint32_t len,
                            uint32_t header = 64) {
  rte_mbuf* m = rte_pktmbuf_alloc(g_pool);
  rte_mbuf* ext = rte_pktmbuf_alloc(g_pool);
  std::copy(data, data + header, rte_pktmbuf_mtod(m, uint8_t*));
  m->data_len = static_cast<uint16_t>(header);
  rte_pktmbuf_attach_extbuf(ext, data + header, reinterpret_cast<rte_iova_t>(data + header),
                            static_cast<uint16_t>(len - header), table.Hold(head, len, 1, 0));
  ext->data_len = static_cast<uint16_t>(len - header);
  m->next = ext;
  m->nb_segs = 2;
  m->pkt_len = len;
  return m;
}

}  // namespace zcswitch

#endif  // ZCSWITCH_TESTS_UNIT_MBUF_TEST_ENV_H_
