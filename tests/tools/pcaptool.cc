// zcswitch-pcaptool: makes and checks the pcap files that tests and the demo
// feed through zcswitchd's net_pcap ports.
//
//   zcswitch-pcaptool gen OUT COUNT [SIZE,SIZE,...]   deterministic UDP frames
//   zcswitch-pcaptool count FILE                      number of packets
//   zcswitch-pcaptool cmp [--swap-macs] EXPECTED GOT  byte-for-byte, in order
//
// Frames of `gen` are IPv4/UDP from 02:00:00:00:00:01 to 02:00:00:00:00:02
// with valid IP checksums; each payload carries its sequence number and a
// pattern derived from it, so a reordered, truncated or corrupted frame is
// told apart from the original. Exit status: 0 ok/equal, 1 different, 2 usage.
#include <arpa/inet.h>
#include <pcap/pcap.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

using Frame = std::vector<uint8_t>;

int Usage() {
  std::fprintf(stderr,
               "usage: zcswitch-pcaptool gen OUT COUNT [SIZE,...]\n"
               "       zcswitch-pcaptool count FILE\n"
               "       zcswitch-pcaptool cmp [--swap-macs] EXPECTED GOT\n");
  return 2;
}

uint16_t IpChecksum(const uint8_t* p, size_t len) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2) sum += (p[i] << 8) | p[i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

Frame MakeFrame(uint32_t seq, size_t size) {
  if (size < 60) size = 60;
  Frame f(size, 0);
  const uint8_t dst[6] = {0x02, 0, 0, 0, 0, 0x02};
  const uint8_t src[6] = {0x02, 0, 0, 0, 0, 0x01};
  std::memcpy(&f[0], dst, 6);
  std::memcpy(&f[6], src, 6);
  f[12] = 0x08;  // IPv4
  uint8_t* ip = &f[14];
  const size_t ip_len = size - 14;
  ip[0] = 0x45;
  ip[2] = ip_len >> 8;
  ip[3] = ip_len & 0xff;
  ip[4] = seq >> 8;
  ip[5] = seq & 0xff;
  ip[8] = 64;
  ip[9] = 17;  // UDP
  const uint8_t src_ip[4] = {10, 0, 0, 1}, dst_ip[4] = {10, 0, 0, 2};
  std::memcpy(&ip[12], src_ip, 4);
  std::memcpy(&ip[16], dst_ip, 4);
  const uint16_t csum = IpChecksum(ip, 20);
  ip[10] = csum >> 8;
  ip[11] = csum & 0xff;
  uint8_t* udp = ip + 20;
  const size_t udp_len = ip_len - 20;
  udp[0] = 0x04, udp[1] = 0xd2;  // 1234
  udp[2] = 0x16, udp[3] = 0x2e;  // 5678
  udp[4] = udp_len >> 8;
  udp[5] = udp_len & 0xff;
  uint8_t* payload = udp + 8;
  const size_t payload_len = udp_len - 8;
  const uint32_t be_seq = htonl(seq);
  std::memcpy(payload, &be_seq, 4);
  for (size_t i = 4; i < payload_len; ++i) payload[i] = static_cast<uint8_t>(seq * 31 + i);
  return f;
}

bool ReadAll(const char* path, std::vector<Frame>& frames) {
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_open_offline(path, err);
  if (p == nullptr) {
    std::fprintf(stderr, "zcswitch-pcaptool: %s: %s\n", path, err);
    return false;
  }
  pcap_pkthdr* hdr;
  const u_char* data;
  int rc;
  while ((rc = pcap_next_ex(p, &hdr, &data)) == 1) {
    if (hdr->caplen != hdr->len) {
      std::fprintf(stderr, "zcswitch-pcaptool: %s: packet %zu truncated (%u of %u bytes)\n", path,
                   frames.size(), hdr->caplen, hdr->len);
    }
    frames.emplace_back(data, data + hdr->caplen);
  }
  const bool ok = rc == PCAP_ERROR_BREAK;
  if (!ok) std::fprintf(stderr, "zcswitch-pcaptool: %s: %s\n", path, pcap_geterr(p));
  pcap_close(p);
  return ok;
}

int Gen(const char* out, long count, const char* sizes_arg) {
  std::vector<size_t> sizes;
  std::string s = sizes_arg != nullptr ? sizes_arg : "64";
  for (size_t pos = 0; pos <= s.size();) {
    size_t comma = s.find(',', pos);
    if (comma == std::string::npos) comma = s.size();
    const long v = std::strtol(s.substr(pos, comma - pos).c_str(), nullptr, 10);
    if (v < 60 || v > 65535) {
      std::fprintf(stderr, "zcswitch-pcaptool: bad size in \"%s\" (60-65535)\n", s.c_str());
      return 2;
    }
    sizes.push_back(static_cast<size_t>(v));
    pos = comma + 1;
  }
  pcap_t* dead = pcap_open_dead(DLT_EN10MB, 65535);
  pcap_dumper_t* dumper = pcap_dump_open(dead, out);
  if (dumper == nullptr) {
    std::fprintf(stderr, "zcswitch-pcaptool: %s: %s\n", out, pcap_geterr(dead));
    pcap_close(dead);
    return 1;
  }
  for (long i = 0; i < count; ++i) {
    const Frame f = MakeFrame(static_cast<uint32_t>(i), sizes[i % sizes.size()]);
    pcap_pkthdr hdr{};
    hdr.ts.tv_sec = 1700000000 + i / 1000000;
    hdr.ts.tv_usec = i % 1000000;
    hdr.caplen = hdr.len = static_cast<bpf_u_int32>(f.size());
    pcap_dump(reinterpret_cast<u_char*>(dumper), &hdr, f.data());
  }
  pcap_dump_close(dumper);
  pcap_close(dead);
  return 0;
}

int Compare(const char* expected_path, const char* got_path, bool swap_macs) {
  std::vector<Frame> expected, got;
  if (!ReadAll(expected_path, expected) || !ReadAll(got_path, got)) return 1;
  if (swap_macs) {
    for (Frame& f : expected) {
      if (f.size() >= 12) std::swap_ranges(f.begin(), f.begin() + 6, f.begin() + 6);
    }
  }
  std::printf("%s: %zu packets, %s: %zu packets\n", expected_path, expected.size(), got_path,
              got.size());
  const size_t n = std::min(expected.size(), got.size());
  for (size_t i = 0; i < n; ++i) {
    if (expected[i] != got[i]) {
      std::printf("packet %zu differs (%zu vs %zu bytes)\n", i, expected[i].size(), got[i].size());
      return 1;
    }
  }
  if (expected.size() != got.size()) {
    std::printf("packet counts differ\n");
    return 1;
  }
  std::printf("identical\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage();
  const std::string cmd = argv[1];
  if (cmd == "gen" && (argc == 4 || argc == 5)) {
    char* end;
    const long count = std::strtol(argv[3], &end, 10);
    if (*end != '\0' || count < 0) return Usage();
    return Gen(argv[2], count, argc == 5 ? argv[4] : nullptr);
  }
  if (cmd == "count" && argc == 3) {
    std::vector<Frame> frames;
    if (!ReadAll(argv[2], frames)) return 1;
    std::printf("%zu\n", frames.size());
    return 0;
  }
  if (cmd == "cmp" && argc == 4) return Compare(argv[2], argv[3], false);
  if (cmd == "cmp" && argc == 5 && std::strcmp(argv[2], "--swap-macs") == 0) {
    return Compare(argv[3], argv[4], true);
  }
  return Usage();
}
