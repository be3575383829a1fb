// GuestDma on the EAL of mbuf_tests (IOVA as VA, no devices): ranges of a
// memfd mapped MAP_SHARED, as a guest's memory is, registered with DPDK and
// looked up again with rte_mem_virt2memseg_list. Devices are fakes that
// record what they are told: no device here does DMA.
#include "lib/zcopy/guest_dma.h"

#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_memory.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"
#include "tests/unit/mbuf_test_env.h"

namespace zcswitch {
namespace {

constexpr size_t kPage = 4096;
constexpr size_t kPages = 32;

// What a fake device was told: map or unmap, device, va, iova, len.
using DeviceCall = std::tuple<bool, rte_device*, uintptr_t, uint64_t, size_t>;

struct FakeDevices {
  std::vector<DeviceCall> calls;
  int maps_before_failure = -1;  // the map call that fails, counting from 0; -1: none

  EalGuestDma::DeviceOps Ops() {
    return {[this](rte_device* dev, void* va, uint64_t iova, size_t len) {
              if (maps_before_failure-- == 0) {
                rte_errno = EIO;
                return -1;
              }
              calls.emplace_back(true, dev, reinterpret_cast<uintptr_t>(va), iova, len);
              return 0;
            },
            [this](rte_device* dev, void* va, uint64_t iova, size_t len) {
              calls.emplace_back(false, dev, reinterpret_cast<uintptr_t>(va), iova, len);
              return 0;
            }};
  }
};

// A net_null device: a real rte_device (on the vdev bus, whose DMA map does
// nothing for a driver without one), for the fakes and for rte_dev_dma_map.
class NullDevice {
 public:
  explicit NullDevice(const std::string& name) : name_(name) {
    if (rte_dev_probe(name.c_str()) != 0) return;
    uint16_t port;
    rte_eth_dev_info info;
    if (rte_eth_dev_get_port_by_name(name.c_str(), &port) == 0 &&
        rte_eth_dev_info_get(port, &info) == 0) {
      dev_ = info.device;
    }
  }
  ~NullDevice() { rte_eal_hotplug_remove("vdev", name_.c_str()); }
  rte_device* dev() const { return dev_; }

 private:
  std::string name_;
  rte_device* dev_ = nullptr;
};

class GuestDmaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The tests below take iova = va for granted.
    ASSERT_EQ(rte_eal_iova_mode(), RTE_IOVA_VA);
    fd_ = memfd_create("zc-guest-dma", MFD_CLOEXEC);
    ASSERT_GE(fd_, 0);
    ASSERT_EQ(ftruncate(fd_, kPages * kPage), 0);
    void* p = mmap(nullptr, kPages * kPage, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
    ASSERT_NE(p, MAP_FAILED);
    base_ = static_cast<uint8_t*>(p);
    auto dma = EalGuestDma::Create({});
    ASSERT_TRUE(dma.ok()) << dma.status();
    dma_ = *std::move(dma);
  }
  void TearDown() override {
    dma_.reset();
    // Nothing of the memfd may stay registered once the object is gone.
    for (size_t i = 0; i < kPages; ++i) EXPECT_EQ(Msl(i * kPage), nullptr) << "page " << i;
    if (base_ != nullptr) munmap(base_, kPages * kPage);
    if (fd_ >= 0) close(fd_);
  }

  uint8_t* At(size_t offset) { return base_ + offset; }
  // The memseg list DPDK finds for base_ + offset, or nullptr.
  rte_memseg_list* Msl(size_t offset) { return rte_mem_virt2memseg_list(base_ + offset); }
  // Whether base_ + offset is registered as part of the chunk [start, start + len).
  void ExpectChunk(size_t offset, size_t start, size_t len) {
    const rte_memseg_list* msl = Msl(offset);
    ASSERT_NE(msl, nullptr) << "offset " << offset;
    EXPECT_EQ(msl->base_va, At(start)) << "offset " << offset;
    EXPECT_EQ(msl->len, len) << "offset " << offset;
    EXPECT_EQ(msl->external, 1u);
  }

  int fd_ = -1;
  uint8_t* base_ = nullptr;
  std::unique_ptr<EalGuestDma> dma_;
};

TEST_F(GuestDmaTest, MapRegistersAndUnmapUnregisters) {
  ASSERT_EQ(Msl(0), nullptr);
  ASSERT_TRUE(dma_->Map(At(0), 4 * kPage, kPage).ok());
  EXPECT_EQ(dma_->num_chunks(), 1u);
  ExpectChunk(0, 0, 4 * kPage);
  ExpectChunk(4 * kPage - 1, 0, 4 * kPage);
  EXPECT_EQ(Msl(0)->page_sz, kPage);
  EXPECT_EQ(Msl(4 * kPage), nullptr);
  EXPECT_EQ(dma_->Iova(At(123)), reinterpret_cast<uintptr_t>(At(123)));

  dma_->Unmap(At(0), 4 * kPage);
  EXPECT_EQ(dma_->num_chunks(), 0u);
  EXPECT_EQ(Msl(0), nullptr);
  EXPECT_EQ(Msl(4 * kPage - 1), nullptr);
  EXPECT_EQ(dma_->unmap_failures(), 0u);
}

TEST_F(GuestDmaTest, UnalignedRangeRoundsOutToPages) {
  // Bytes 100 .. 4195: the end of page 0 and the start of page 1.
  ASSERT_TRUE(dma_->Map(At(100), kPage, kPage).ok());
  ExpectChunk(0, 0, 2 * kPage);
  ExpectChunk(2 * kPage - 1, 0, 2 * kPage);
  EXPECT_EQ(Msl(2 * kPage), nullptr);
  dma_->Unmap(At(100), kPage);
  EXPECT_EQ(Msl(0), nullptr);
}

TEST_F(GuestDmaTest, RoundsToTheGivenPageSize) {
  constexpr size_t kBig = 4 * kPage;
  const uintptr_t b = reinterpret_cast<uintptr_t>(base_);
  const size_t aligned = (b + kBig - 1) / kBig * kBig - b;  // a kBig boundary in the memfd
  ASSERT_TRUE(dma_->Map(At(aligned + kPage + 10), 20, kBig).ok());
  ExpectChunk(aligned, aligned, kBig);
  EXPECT_EQ(Msl(aligned)->page_sz, kBig);
  dma_->Unmap(At(aligned + kPage + 10), 20);
}

TEST_F(GuestDmaTest, RangesSharingAPageRegisterItOnce) {
  // A: bytes 100 .. 5099, pages 0-1; B: bytes 5000 .. 12288, pages 1-3. B
  // registers only pages 2-3.
  constexpr size_t kBLen = 3 * kPage + 1 - 5000;
  ASSERT_TRUE(dma_->Map(At(100), 5000, kPage).ok());
  ASSERT_TRUE(dma_->Map(At(5000), kBLen, kPage).ok());
  EXPECT_EQ(dma_->num_chunks(), 2u);
  ExpectChunk(kPage, 0, 2 * kPage);
  ExpectChunk(2 * kPage, 2 * kPage, 2 * kPage);
  ExpectChunk(4 * kPage - 1, 2 * kPage, 2 * kPage);
  EXPECT_EQ(Msl(4 * kPage), nullptr);

  // Page 1 is B's too: A's chunk stays while B is mapped.
  dma_->Unmap(At(100), 5000);
  EXPECT_EQ(dma_->num_chunks(), 2u);
  ExpectChunk(kPage, 0, 2 * kPage);
  ExpectChunk(2 * kPage, 2 * kPage, 2 * kPage);

  dma_->Unmap(At(5000), kBLen);
  EXPECT_EQ(dma_->num_chunks(), 0u);
  EXPECT_EQ(Msl(0), nullptr);
  EXPECT_EQ(Msl(2 * kPage), nullptr);
}

TEST_F(GuestDmaTest, RangeAroundAChunkRegistersTheGapsEitherSide) {
  ASSERT_TRUE(dma_->Map(At(4 * kPage), 2 * kPage, kPage).ok());
  ASSERT_TRUE(dma_->Map(At(0), 10 * kPage, kPage).ok());
  EXPECT_EQ(dma_->num_chunks(), 3u);
  ExpectChunk(0, 0, 4 * kPage);
  ExpectChunk(4 * kPage, 4 * kPage, 2 * kPage);
  ExpectChunk(6 * kPage, 6 * kPage, 4 * kPage);

  dma_->Unmap(At(4 * kPage), 2 * kPage);  // the big range still needs the middle
  EXPECT_EQ(dma_->num_chunks(), 3u);
  ExpectChunk(5 * kPage, 4 * kPage, 2 * kPage);

  dma_->Unmap(At(0), 10 * kPage);
  EXPECT_EQ(dma_->num_chunks(), 0u);
}

TEST_F(GuestDmaTest, SameRangeTwiceNeedsTwoUnmaps) {
  ASSERT_TRUE(dma_->Map(At(0), 2 * kPage, kPage).ok());
  ASSERT_TRUE(dma_->Map(At(0), 2 * kPage, kPage).ok());  // no EEXIST
  EXPECT_EQ(dma_->num_chunks(), 1u);
  dma_->Unmap(At(0), 2 * kPage);
  ExpectChunk(0, 0, 2 * kPage);
  dma_->Unmap(At(0), 2 * kPage);
  EXPECT_EQ(Msl(0), nullptr);
}

TEST_F(GuestDmaTest, UnmapOfARangeNotMappedChangesNothing) {
  ASSERT_TRUE(dma_->Map(At(0), 2 * kPage, kPage).ok());
  dma_->Unmap(At(1), 10);  // inside the mapped range, but never mapped itself
  dma_->Unmap(At(8 * kPage), kPage);
  ExpectChunk(0, 0, 2 * kPage);
  EXPECT_EQ(dma_->num_chunks(), 1u);
  dma_->Unmap(At(0), 2 * kPage);
}

TEST_F(GuestDmaTest, RefusesMemoryDpdkAlreadyHas) {
  // Registered behind the object's back: an overlapping range is refused.
  ASSERT_EQ(rte_extmem_register(At(4 * kPage), 4 * kPage, nullptr, 0, kPage), 0);
  absl::Status s = dma_->Map(At(2 * kPage), 3 * kPage, kPage);
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists) << s;
  s = dma_->Map(At(4 * kPage), 4 * kPage, kPage);  // the exact chunk: DPDK's EEXIST
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists) << s;
  EXPECT_EQ(dma_->num_chunks(), 0u);
  EXPECT_EQ(Msl(2 * kPage), nullptr);  // nothing left behind of the refused range
  ASSERT_EQ(rte_extmem_unregister(At(4 * kPage), 4 * kPage), 0);

  // DPDK's own memory (an mbuf of the test's pool).
  rte_mbuf* m = rte_pktmbuf_alloc(g_pool);
  ASSERT_NE(m, nullptr);
  s = dma_->Map(m->buf_addr, 64, kPage);
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists) << s;
  rte_pktmbuf_free(m);
}

TEST_F(GuestDmaTest, RefusesBadRanges) {
  EXPECT_EQ(dma_->Map(nullptr, kPage, kPage).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(dma_->Map(At(0), 0, kPage).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(dma_->Map(At(0), kPage, 0).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(dma_->Map(At(0), kPage, 3 * kPage).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(dma_->Map(At(0), kPage, 512).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(dma_->Map(reinterpret_cast<void*>(UINTPTR_MAX - 100), 50, kPage).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(dma_->num_chunks(), 0u);
}

TEST_F(GuestDmaTest, DestructorUnregistersWhatIsStillMapped) {
  ASSERT_TRUE(dma_->Map(At(0), 3 * kPage, kPage).ok());
  ASSERT_TRUE(dma_->Map(At(2 * kPage), 3 * kPage, kPage).ok());
  dma_.reset();
  EXPECT_EQ(Msl(0), nullptr);
  EXPECT_EQ(Msl(4 * kPage), nullptr);
}

TEST_F(GuestDmaTest, EachChunkIsDmaMappedOnceForEachDevice) {
  dma_.reset();
  FakeDevices fake;
  NullDevice null1("net_null_gdma1"), null2("net_null_gdma2");
  rte_device* const d1 = null1.dev();
  rte_device* const d2 = null2.dev();
  ASSERT_NE(d1, nullptr);
  ASSERT_NE(d2, nullptr);
  auto dma = EalGuestDma::Create({d1, d2}, RTE_IOVA_VA, fake.Ops());
  ASSERT_TRUE(dma.ok()) << dma.status();
  const uintptr_t b = reinterpret_cast<uintptr_t>(base_);

  ASSERT_TRUE((*dma)->Map(At(100), 5000, kPage).ok());   // pages 0-1
  ASSERT_TRUE((*dma)->Map(At(5000), 7288, kPage).ok());  // pages 1-2: page 2 is new
  EXPECT_EQ(fake.calls, (std::vector<DeviceCall>{{true, d1, b, b, 2 * kPage},
                                                 {true, d2, b, b, 2 * kPage},
                                                 {true, d1, b + 2 * kPage, b + 2 * kPage, kPage},
                                                 {true, d2, b + 2 * kPage, b + 2 * kPage, kPage}}));
  fake.calls.clear();
  (*dma)->Unmap(At(100), 5000);
  EXPECT_TRUE(fake.calls.empty());  // page 1 is still the other range's
  (*dma)->Unmap(At(5000), 7288);
  EXPECT_EQ(fake.calls,
            (std::vector<DeviceCall>{{false, d2, b, b, 2 * kPage},
                                     {false, d1, b, b, 2 * kPage},
                                     {false, d2, b + 2 * kPage, b + 2 * kPage, kPage},
                                     {false, d1, b + 2 * kPage, b + 2 * kPage, kPage}}));
  EXPECT_EQ((*dma)->unmap_failures(), 0u);
}

TEST_F(GuestDmaTest, DeviceMapFailureUndoesTheWholeMap) {
  dma_.reset();
  FakeDevices fake;
  NullDevice null1("net_null_gdma1"), null2("net_null_gdma2");
  rte_device* const d1 = null1.dev();
  rte_device* const d2 = null2.dev();
  ASSERT_NE(d1, nullptr);
  ASSERT_NE(d2, nullptr);
  auto dma = EalGuestDma::Create({d1, d2}, RTE_IOVA_VA, fake.Ops());
  ASSERT_TRUE(dma.ok()) << dma.status();
  const uintptr_t b = reinterpret_cast<uintptr_t>(base_);
  ASSERT_TRUE((*dma)->Map(At(4 * kPage), kPage, kPage).ok());  // calls 0, 1
  fake.calls.clear();

  // Gaps: pages 0-3 and 5-7. d2 fails on the second gap (the fourth call).
  fake.maps_before_failure = 3;
  const absl::Status s = (*dma)->Map(At(0), 8 * kPage, kPage);
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal) << s;
  EXPECT_EQ((*dma)->num_chunks(), 1u);
  EXPECT_EQ(Msl(0), nullptr);
  EXPECT_EQ(Msl(5 * kPage), nullptr);
  ExpectChunk(4 * kPage, 4 * kPage, kPage);
  const uintptr_t g2 = b + 5 * kPage;
  EXPECT_EQ(fake.calls, (std::vector<DeviceCall>{{true, d1, b, b, 4 * kPage},
                                                 {true, d2, b, b, 4 * kPage},
                                                 {true, d1, g2, g2, 3 * kPage},
                                                 {false, d1, g2, g2, 3 * kPage},
                                                 {false, d2, b, b, 4 * kPage},
                                                 {false, d1, b, b, 4 * kPage}}));

  // The chunk that was there is still counted once: one Unmap retires it.
  (*dma)->Unmap(At(4 * kPage), kPage);
  EXPECT_EQ((*dma)->num_chunks(), 0u);
  EXPECT_EQ(Msl(4 * kPage), nullptr);
}

TEST_F(GuestDmaTest, RteDevDmaMapTakesWhatIsRegistered) {
  // rte_dev_dma_map itself refuses memory not registered (EINVAL) before it
  // asks the bus; a vdev's bus then maps nothing, successfully.
  dma_.reset();
  NullDevice null("net_null_gdma3");
  ASSERT_NE(null.dev(), nullptr);
  EXPECT_NE(rte_dev_dma_map(null.dev(), At(0), reinterpret_cast<uintptr_t>(At(0)), kPage), 0);
  auto dma = EalGuestDma::Create({null.dev()});
  ASSERT_TRUE(dma.ok()) << dma.status();
  const absl::Status s = (*dma)->Map(At(10), 3 * kPage, kPage);
  EXPECT_TRUE(s.ok()) << s;
  ExpectChunk(0, 0, 4 * kPage);
  (*dma)->Unmap(At(10), 3 * kPage);
  EXPECT_EQ((*dma)->unmap_failures(), 0u);
  EXPECT_EQ(Msl(0), nullptr);
}

TEST(GuestDmaCreateTest, RefusesIovaAsPa) {
  auto dma = EalGuestDma::Create({}, RTE_IOVA_PA, EalGuestDma::RteDeviceOps());
  EXPECT_EQ(dma.status().code(), absl::StatusCode::kUnimplemented) << dma.status();
  dma = EalGuestDma::Create({}, RTE_IOVA_DC, EalGuestDma::RteDeviceOps());
  EXPECT_EQ(dma.status().code(), absl::StatusCode::kUnimplemented) << dma.status();
  dma = EalGuestDma::Create({}, RTE_IOVA_VA, EalGuestDma::RteDeviceOps());
  EXPECT_TRUE(dma.ok()) << dma.status();
}

TEST(GuestDmaNoDeviceTest, IovaIsTheAddressInVaModeOnly) {
  uint8_t buf[64];
  EXPECT_EQ(NoGuestDma(RTE_IOVA_VA).Iova(buf + 3), reinterpret_cast<uintptr_t>(buf + 3));
  EXPECT_EQ(NoGuestDma(RTE_IOVA_PA).Iova(buf + 3), RTE_BAD_IOVA);
  EXPECT_EQ(NoGuestDma().Iova(buf), reinterpret_cast<uintptr_t>(buf));  // this EAL: VA
}

TEST(GuestDmaNoDeviceTest, MapRegistersNothing) {
  void* p = mmap(nullptr, kPage, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(p, MAP_FAILED);
  NoGuestDma dma;
  EXPECT_TRUE(dma.Map(p, kPage, kPage).ok());
  EXPECT_EQ(rte_mem_virt2memseg_list(p), nullptr);
  dma.Unmap(p, kPage);
  munmap(p, kPage);
}

TEST(GuestDmaMakeTest, NoDevicesNoRegistration) {
  auto dma = MakeGuestDma({});
  ASSERT_TRUE(dma.ok()) << dma.status();
  EXPECT_NE(dynamic_cast<NoGuestDma*>(dma->get()), nullptr);
  dma = MakeGuestDma({reinterpret_cast<rte_device*>(0x1000)});  // not dereferenced: no Map
  ASSERT_TRUE(dma.ok()) << dma.status();
  EXPECT_NE(dynamic_cast<EalGuestDma*>(dma->get()), nullptr);
}

TEST(GuestDmaNeedsDmaTest, PciBusOnly) {
  EXPECT_TRUE(BusNeedsDma("pci"));
  EXPECT_FALSE(BusNeedsDma("vdev"));
  EXPECT_FALSE(BusNeedsDma("auxiliary"));
  EXPECT_FALSE(BusNeedsDma(""));
  EXPECT_FALSE(DeviceNeedsDma(nullptr));
}

TEST(GuestDmaNeedsDmaTest, VirtualPortNeedsNone) {
  constexpr char kName[] = "net_null_guestdma";
  ASSERT_EQ(rte_dev_probe(kName), 0);
  uint16_t port;
  ASSERT_EQ(rte_eth_dev_get_port_by_name(kName, &port), 0);
  const absl::StatusOr<bool> needs = PortNeedsDma(port);
  ASSERT_TRUE(needs.ok()) << needs.status();
  EXPECT_FALSE(*needs);
  EXPECT_EQ(rte_eal_hotplug_remove("vdev", kName), 0);
  EXPECT_EQ(PortNeedsDma(port).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(PortNeedsDma(RTE_MAX_ETHPORTS).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace zcswitch
