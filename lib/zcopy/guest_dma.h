// Guest memory as a device doing DMA sees it, for zero-copy dequeue.
//
// Zero-copy hands a port mbufs whose external buffers point into a guest's
// memory (the mappings of lib/vhost/guest_memory.cc). A NIC bound to VFIO
// with IOVA as VA can DMA only from memory DPDK knows: each range is
// registered (rte_extmem_register) and mapped for every device that does DMA
// (rte_dev_dma_map, iova = va) when the guest's memory is mapped, and unmapped
// and unregistered when it is retired, before it is munmap()ed. Virtual PMDs
// (net_null, net_ring, net_tap, vhost-user...) read buffers with the CPU and
// need none of it: only devices on the PCI bus do (DeviceNeedsDma).
//
// IOVA as PA (physical page addresses, rte_mem_virt2phy) is not supported for
// zero-copy to a device: EalGuestDma::Create refuses it.
//
// Threads: Map and Unmap run on one thread (the control thread); Iova is
// const, reads nothing Map or Unmap change, and may be called from any lcore.
// An address given to Iova must lie in a range mapped and not yet unmapped:
// the caller guarantees it (a guest's memory table is mapped before a vring
// uses it, and retired only after the lcores are quiescent).
#ifndef ZCSWITCH_LIB_ZCOPY_GUEST_DMA_H_
#define ZCSWITCH_LIB_ZCOPY_GUEST_DMA_H_

#include <rte_common.h>
#include <rte_eal.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

struct rte_device;

namespace zcswitch {

class GuestDma {
 public:
  virtual ~GuestDma() = default;

  // Makes [va, va + len) of a mapping whose pages are `page_size` bytes (a
  // power of two; hugetlbfs's st_blksize, or the system page) reachable by
  // DMA. The range is rounded out to whole pages. Ranges may overlap or share
  // pages; each Map is undone by one Unmap of the same (va, len).
  virtual absl::Status Map(void* va, size_t len, size_t page_size) = 0;

  // Undoes one successful Map(va, len, ...). A (va, len) not mapped is
  // ignored. Pages stay reachable while another mapped range still needs
  // them.
  virtual void Unmap(void* va, size_t len) = 0;

  // What an external-buffer mbuf's buf_iova must be for `va`, an address in
  // a mapped range (rte_pktmbuf_attach_extbuf's buf_iova).
  virtual rte_iova_t Iova(const void* va) const = 0;
};

// No device needs mapping (virtual PMDs only): Map registers nothing, and an
// address's IOVA is the address itself in IOVA-as-VA mode, RTE_BAD_IOVA in any
// other (no device reads it).
class NoGuestDma final : public GuestDma {
 public:
  NoGuestDma() : NoGuestDma(rte_eal_iova_mode()) {}
  explicit NoGuestDma(rte_iova_mode mode) : iova_is_va_(mode == RTE_IOVA_VA) {}

  absl::Status Map(void* va, size_t len, size_t page_size) override;
  void Unmap(void* va, size_t len) override {}
  rte_iova_t Iova(const void* va) const override {
    return iova_is_va_ ? static_cast<rte_iova_t>(reinterpret_cast<uintptr_t>(va)) : RTE_BAD_IOVA;
  }

 private:
  const bool iova_is_va_;
};

// Registers ranges with DPDK (rte_extmem_register) and maps them for each of
// `devices` (rte_dev_dma_map, iova = va). IOVA as VA only.
//
// DPDK registers and unregisters a chunk only as a whole, and takes a second
// chunk over the same pages without complaint (it refuses only the exact same
// start and length), which would map those pages for a device twice. So the
// pages this object registers are disjoint chunks: a Map registers only the
// pages no chunk has yet (the gaps), and counts a reference on every chunk its
// pages touch; a chunk goes (dma-unmapped, then unregistered) with its last
// reference. A page may therefore stay registered a little longer than the
// range that brought it, while a neighbour sharing its chunk is mapped.
//
// DPDK's registry is per process: one EalGuestDma per process. A range some
// other memory DPDK knows overlaps (its own heap, or a chunk registered by
// someone else) is refused with AlreadyExists.
class EalGuestDma final : public GuestDma {
 public:
  // How a device is told about a chunk: rte_dev_dma_map and rte_dev_dma_unmap
  // (0 on success, negative with rte_errno set on failure), or a test's fakes.
  using DeviceDmaFn = std::function<int(rte_device* dev, void* va, uint64_t iova, size_t len)>;
  struct DeviceOps {
    DeviceDmaFn map;
    DeviceDmaFn unmap;
  };
  static DeviceOps RteDeviceOps();

  // For `devices` in EAL's IOVA mode with rte_dev_dma_map/unmap.
  static absl::StatusOr<std::unique_ptr<EalGuestDma>> Create(std::vector<rte_device*> devices);
  // Unimplemented unless `mode` is RTE_IOVA_VA.
  static absl::StatusOr<std::unique_ptr<EalGuestDma>> Create(std::vector<rte_device*> devices,
                                                             rte_iova_mode mode, DeviceOps ops);

  // Unmaps and unregisters whatever is still mapped.
  ~EalGuestDma() override;
  EalGuestDma(const EalGuestDma&) = delete;
  EalGuestDma& operator=(const EalGuestDma&) = delete;

  absl::Status Map(void* va, size_t len, size_t page_size) override;
  void Unmap(void* va, size_t len) override;
  rte_iova_t Iova(const void* va) const override {
    return static_cast<rte_iova_t>(reinterpret_cast<uintptr_t>(va));
  }

  // Registered chunks, and calls to DPDK that failed while unmapping (Unmap
  // has no Status to return; the chunk is forgotten all the same).
  size_t num_chunks() const { return chunks_.size(); }
  size_t unmap_failures() const { return unmap_failures_; }

 private:
  struct Chunk {
    uintptr_t end;
    size_t page_size;
    int refs;
  };
  struct Mapping {
    uintptr_t start;  // page-rounded
    uintptr_t end;
    int count;  // Maps of this exact (va, len) not yet unmapped
  };

  EalGuestDma(std::vector<rte_device*> devices, DeviceOps ops)
      : devices_(std::move(devices)), ops_(std::move(ops)) {}

  // Registers [start, end) and maps it for every device, or undoes what it did.
  absl::Status AddChunk(uintptr_t start, uintptr_t end, size_t page_size);
  void RemoveChunk(uintptr_t start, uintptr_t end);
  // The first chunk that ends after address `a` (it may start before it).
  std::map<uintptr_t, Chunk>::iterator FirstEndingAfter(uintptr_t a);

  const std::vector<rte_device*> devices_;
  const DeviceOps ops_;
  std::map<uintptr_t, Chunk> chunks_;                         // by start; disjoint
  std::map<std::pair<uintptr_t, size_t>, Mapping> mappings_;  // by (va, len)
  size_t unmap_failures_ = 0;
};

// NoGuestDma when `devices` is empty, else EalGuestDma::Create(devices).
absl::StatusOr<std::unique_ptr<GuestDma>> MakeGuestDma(std::vector<rte_device*> devices);

// Where the process's GuestDma is once the ports that need one are known
// (after the configured ports are open, before any guest connects). Memory
// mapped while it is empty is registered with nothing: no device needs it.
class GuestDmaSlot {
 public:
  GuestDma* get() const { return dma_.get(); }
  void set(std::unique_ptr<GuestDma> dma) { dma_ = std::move(dma); }

 private:
  std::unique_ptr<GuestDma> dma_;
};

// Whether a device on bus `bus_name` must have guest memory DMA-mapped: "pci".
bool BusNeedsDma(absl::string_view bus_name);
// The same for a device (false for nullptr).
bool DeviceNeedsDma(const rte_device* dev);
// The same for ethdev port `port_id`'s device; NotFound for a port id that is
// not a valid port.
absl::StatusOr<bool> PortNeedsDma(uint16_t port_id);

}  // namespace zcswitch

#endif  // ZCSWITCH_LIB_ZCOPY_GUEST_DMA_H_
