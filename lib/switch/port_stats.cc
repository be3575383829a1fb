#include "lib/switch/port_stats.h"

namespace zcswitch {

uint64_t PortCounters::rx_dropped() const {
  uint64_t sum = 0;
  for (uint64_t d : rx_drops) sum += d;
  return sum;
}

uint64_t PortCounters::tx_dropped() const {
  uint64_t sum = 0;
  for (uint64_t d : tx_drops) sum += d;
  return sum;
}

PortCounters& PortCounters::operator+=(const PortCounters& other) {
  rx_packets += other.rx_packets;
  rx_bytes += other.rx_bytes;
  tx_packets += other.tx_packets;
  tx_bytes += other.tx_bytes;
  for (size_t i = 0; i < kNumDropReasons; ++i) {
    rx_drops[i] += other.rx_drops[i];
    tx_drops[i] += other.tx_drops[i];
  }
  return *this;
}

PortCounters operator-(const PortCounters& later, const PortCounters& earlier) {
  PortCounters d;
  d.rx_packets = later.rx_packets - earlier.rx_packets;
  d.rx_bytes = later.rx_bytes - earlier.rx_bytes;
  d.tx_packets = later.tx_packets - earlier.tx_packets;
  d.tx_bytes = later.tx_bytes - earlier.tx_bytes;
  for (size_t i = 0; i < kNumDropReasons; ++i) {
    d.rx_drops[i] = later.rx_drops[i] - earlier.rx_drops[i];
    d.tx_drops[i] = later.tx_drops[i] - earlier.tx_drops[i];
  }
  return d;
}

PortStats::PortStats(uint16_t rx_queues, uint16_t tx_queues)
    : rx_queues_(rx_queues),
      tx_queues_(tx_queues),
      rx_(std::make_unique<QueueCounters[]>(rx_queues)),
      tx_(std::make_unique<QueueCounters[]>(tx_queues)) {}

namespace {

// Copies one queue's counters into the given side of a PortCounters.
void ReadQueue(const QueueCounters& q, uint64_t& packets, uint64_t& bytes,
               std::array<uint64_t, kNumDropReasons>& drops) {
  packets = q.packets.Read();
  bytes = q.bytes.Read();
  for (size_t i = 0; i < kNumDropReasons; ++i) drops[i] = q.drops[i].Read();
}

}  // namespace

PortCounters PortStats::RxQueue(uint16_t queue) const {
  PortCounters c;
  ReadQueue(rx_[queue], c.rx_packets, c.rx_bytes, c.rx_drops);
  return c;
}

PortCounters PortStats::TxQueue(uint16_t queue) const {
  PortCounters c;
  ReadQueue(tx_[queue], c.tx_packets, c.tx_bytes, c.tx_drops);
  return c;
}

PortCounters PortStats::Total() const {
  PortCounters total;
  for (uint16_t q = 0; q < rx_queues_; ++q) total += RxQueue(q);
  for (uint16_t q = 0; q < tx_queues_; ++q) total += TxQueue(q);
  return total;
}

}  // namespace zcswitch
