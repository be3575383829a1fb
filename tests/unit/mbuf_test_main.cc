// main() for the tests on real mbufs: EAL for mempools only.
#include <rte_eal.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "gtest/gtest.h"
#include "lib/dataplane/mbuf_pool.h"
#include "tests/unit/mbuf_test_env.h"

namespace zcswitch {
rte_mempool* g_pool = nullptr;
}  // namespace zcswitch

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  // EAL for mempools only: no hugepages, no devices, no shared files.
  std::string prefix = "--file-prefix=mbuftest" + std::to_string(getpid());
  const char* eal[] = {"mbuf_tests", "--no-huge",    "-m", "64", "--no-pci",
                       "--no-shconf",      prefix.c_str(), "-l", "0",  "--log-level=error"};
  if (rte_eal_init(sizeof(eal) / sizeof(eal[0]), const_cast<char**>(eal)) < 0) {
    std::fprintf(stderr, "EAL init failed\n");
    return 1;
  }
  auto pool = zcswitch::CreateMbufPool("test_mbufs", 1023, SOCKET_ID_ANY);
  if (!pool.ok()) {
    std::fprintf(stderr, "%s\n", std::string(pool.status().message()).c_str());
    return 1;
  }
  zcswitch::g_pool = pool->get();
  const int rc = RUN_ALL_TESTS();
  pool->reset();
  rte_eal_cleanup();
  return rc;
}
