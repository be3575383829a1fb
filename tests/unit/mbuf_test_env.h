// What the tests on real mbufs share: EAL (in memory, no hugepages, no
// devices) set up by mbuf_test_main.cc, its mempool, and a port that keeps
// what it is sent.
#ifndef ZCSWITCH_TESTS_UNIT_MBUF_TEST_ENV_H_
#define ZCSWITCH_TESTS_UNIT_MBUF_TEST_ENV_H_

#include <rte_mbuf.h>

#include <algorithm>
#include <deque>
#include <string>
#include <vector>

#include "lib/switch/port.h"

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

  std::deque<uint16_t> accept;
  std::vector<rte_mbuf*> sent;
  int tx_calls = 0;

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
};

}  // namespace zcswitch

#endif  // ZCSWITCH_TESTS_UNIT_MBUF_TEST_ENV_H_
