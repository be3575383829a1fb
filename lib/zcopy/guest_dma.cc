#include "lib/zcopy/guest_dma.h"

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_memory.h>
#include <unistd.h>

#include <iterator>
#include <string>

#include "absl/strings/str_format.h"

namespace zcswitch {
namespace {

bool IsPowerOfTwo(size_t x) { return x != 0 && (x & (x - 1)) == 0; }

// [va, va + len) rounded out to `page_size`, or an error.
absl::Status PageRange(void* va, size_t len, size_t page_size, uintptr_t& start, uintptr_t& end) {
  const size_t system_page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  if (va == nullptr || len == 0) {
    return absl::InvalidArgumentError("guest DMA: empty range");
  }
  if (!IsPowerOfTwo(page_size) || page_size < system_page) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "guest DMA: page size %d is not a power of two of at least %d", page_size, system_page));
  }
  const uintptr_t a = reinterpret_cast<uintptr_t>(va);
  uintptr_t last;  // the range's last byte
  if (__builtin_add_overflow(a, len - 1, &last) || last > UINTPTR_MAX - page_size) {
    return absl::InvalidArgumentError("guest DMA: range wraps the address space");
  }
  start = a & ~(page_size - 1);
  end = (last & ~(page_size - 1)) + page_size;
  return absl::OkStatus();
}

// Whether any memseg list DPDK knows (its own memory, or external memory
// registered by anyone) intersects [start, end).
bool DpdkKnowsAny(uintptr_t start, uintptr_t end) {
  struct Range {
    uintptr_t start, end;
  } range{start, end};
  auto overlaps = [](const rte_memseg_list* msl, void* arg) -> int {
    const Range& r = *static_cast<const Range*>(arg);
    if (msl->base_va == nullptr || msl->len == 0) return 0;
    const uintptr_t base = reinterpret_cast<uintptr_t>(msl->base_va);
    return base < r.end && r.start < base + msl->len ? 1 : 0;
  };
  return rte_memseg_list_walk(overlaps, &range) == 1;
}

void* Ptr(uintptr_t a) { return reinterpret_cast<void*>(a); }

}  // namespace

absl::Status NoGuestDma::Map(void* va, size_t len, size_t page_size) { return absl::OkStatus(); }

EalGuestDma::DeviceOps EalGuestDma::RteDeviceOps() { return {rte_dev_dma_map, rte_dev_dma_unmap}; }

absl::StatusOr<std::unique_ptr<EalGuestDma>> EalGuestDma::Create(std::vector<rte_device*> devices) {
  return Create(std::move(devices), rte_eal_iova_mode(), RteDeviceOps());
}

absl::StatusOr<std::unique_ptr<EalGuestDma>> EalGuestDma::Create(std::vector<rte_device*> devices,
                                                                 rte_iova_mode mode,
                                                                 DeviceOps ops) {
  if (mode != RTE_IOVA_VA) {
    return absl::UnimplementedError(
        "zero-copy to a device that does DMA needs EAL in IOVA-as-VA mode (VFIO, --iova-mode=va); "
        "IOVA as PA is not supported");
  }
  return std::unique_ptr<EalGuestDma>(new EalGuestDma(std::move(devices), std::move(ops)));
}

EalGuestDma::~EalGuestDma() {
  while (!chunks_.empty()) {
    const auto it = chunks_.begin();
    RemoveChunk(it->first, it->second.end);
  }
}

absl::Status EalGuestDma::AddChunk(uintptr_t start, uintptr_t end, size_t page_size) {
  const size_t len = end - start;
  if (DpdkKnowsAny(start, end)) {
    return absl::AlreadyExistsError(
        absl::StrFormat("guest DMA: [%#x, %#x) overlaps memory DPDK already has", start, end));
  }
  if (rte_extmem_register(Ptr(start), len, nullptr, 0, page_size) != 0) {
    const int err = rte_errno;
    const std::string message = absl::StrFormat("guest DMA: rte_extmem_register of [%#x, %#x): %s",
                                                start, end, rte_strerror(err));
    switch (err) {
      case EEXIST:  // registered by someone else since DpdkKnowsAny looked
        return absl::AlreadyExistsError(message);
      case EINVAL:
        return absl::InvalidArgumentError(message);
      case ENOSPC:  // RTE_MAX_MEMSEG_LISTS lists in all, DPDK's own included
        return absl::ResourceExhaustedError(message);
      default:
        return absl::InternalError(message);
    }
  }
  for (size_t i = 0; i < devices_.size(); ++i) {
    if (ops_.map(devices_[i], Ptr(start), start, len) < 0) {
      const int err = rte_errno;
      for (size_t j = i; j-- > 0;) ops_.unmap(devices_[j], Ptr(start), start, len);
      rte_extmem_unregister(Ptr(start), len);
      return absl::InternalError(
          absl::StrFormat("guest DMA: rte_dev_dma_map of [%#x, %#x) for device %s: %s", start, end,
                          rte_dev_name(devices_[i]), rte_strerror(err)));
    }
  }
  return absl::OkStatus();
}

void EalGuestDma::RemoveChunk(uintptr_t start, uintptr_t end) {
  const size_t len = end - start;
  for (size_t j = devices_.size(); j-- > 0;) {
    if (ops_.unmap(devices_[j], Ptr(start), start, len) < 0) ++unmap_failures_;
  }
  if (rte_extmem_unregister(Ptr(start), len) != 0) ++unmap_failures_;
  chunks_.erase(start);
}

std::map<uintptr_t, EalGuestDma::Chunk>::iterator EalGuestDma::FirstEndingAfter(uintptr_t a) {
  auto it = chunks_.upper_bound(a);
  if (it != chunks_.begin() && std::prev(it)->second.end > a) --it;
  return it;
}

absl::Status EalGuestDma::Map(void* va, size_t len, size_t page_size) {
  uintptr_t start = 0, end = 0;
  if (absl::Status s = PageRange(va, len, page_size, start, end); !s.ok()) return s;
  const std::pair<uintptr_t, size_t> key{reinterpret_cast<uintptr_t>(va), len};
  if (auto it = mappings_.find(key); it != mappings_.end()) {
    ++it->second.count;  // its pages are all registered, and referenced by it
    return absl::OkStatus();
  }

  // Register the gaps between the chunks [start, end) touches.
  std::vector<std::pair<uintptr_t, uintptr_t>> added;
  absl::Status status;
  uintptr_t at = start;
  for (auto it = FirstEndingAfter(start); status.ok() && at < end; ++it) {
    const uintptr_t gap_end = it == chunks_.end() || it->first > end ? end : it->first;
    if (at < gap_end) {
      status = AddChunk(at, gap_end, page_size);
      if (status.ok()) added.emplace_back(at, gap_end);
    }
    if (it == chunks_.end()) break;
    at = it->second.end;
  }
  if (!status.ok()) {
    for (const auto& [s, e] : added) {
      chunks_[s] = {e, page_size, 0};  // so that RemoveChunk finds it
      RemoveChunk(s, e);
    }
    return status;
  }
  for (const auto& [s, e] : added) chunks_[s] = {e, page_size, 0};
  for (auto it = FirstEndingAfter(start); it != chunks_.end() && it->first < end; ++it) {
    ++it->second.refs;
  }
  mappings_[key] = {start, end, 1};
  return absl::OkStatus();
}

void EalGuestDma::Unmap(void* va, size_t len) {
  const auto m = mappings_.find({reinterpret_cast<uintptr_t>(va), len});
  if (m == mappings_.end()) return;
  if (--m->second.count > 0) return;
  const uintptr_t start = m->second.start;
  const uintptr_t end = m->second.end;
  mappings_.erase(m);

  auto it = FirstEndingAfter(start);
  while (it != chunks_.end() && it->first < end) {
    const auto next = std::next(it);
    if (--it->second.refs == 0) RemoveChunk(it->first, it->second.end);
    it = next;
  }
}

absl::StatusOr<std::unique_ptr<GuestDma>> MakeGuestDma(std::vector<rte_device*> devices) {
  if (devices.empty()) return std::make_unique<NoGuestDma>();
  auto dma = EalGuestDma::Create(std::move(devices));
  if (!dma.ok()) return dma.status();
  return std::unique_ptr<GuestDma>(*std::move(dma));
}

bool BusNeedsDma(absl::string_view bus_name) { return bus_name == "pci"; }

bool DeviceNeedsDma(const rte_device* dev) {
  if (dev == nullptr) return false;
  const rte_bus* bus = rte_dev_bus(dev);
  return bus != nullptr && BusNeedsDma(rte_bus_name(bus));
}

absl::StatusOr<bool> PortNeedsDma(uint16_t port_id) {
  rte_eth_dev_info info;
  if (!rte_eth_dev_is_valid_port(port_id) || rte_eth_dev_info_get(port_id, &info) != 0) {
    return absl::NotFoundError(absl::StrFormat("ethdev port %d does not exist", port_id));
  }
  return DeviceNeedsDma(info.device);
}

}  // namespace zcswitch
