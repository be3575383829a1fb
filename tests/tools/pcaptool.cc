// zcswitch-pcaptool: makes and checks the pcap files that tests and the demo
// feed through zcswitchd's net_pcap ports.
//
//   zcswitch-pcaptool gen [--src=MAC,...] [--dst=MAC,...] [--vlan=ID,...]
//                     OUT COUNT [SIZE,SIZE,...]      deterministic UDP frames
//   zcswitch-pcaptool count FILE                      number of packets
//   zcswitch-pcaptool cmp [--swap-macs] EXPECTED GOT  byte-for-byte, in order
//   zcswitch-pcaptool select [--vlan=ID] [--dst=MAC] [--untag] IN OUT
//                                                     some frames, in order
//
// Frames of `gen` are IPv4/UDP from 02:00:00:00:00:01 to 02:00:00:00:00:02
// with valid IP checksums; each payload carries its sequence number and a
// pattern derived from it, so a reordered, truncated or corrupted frame is
// told apart from the original. --src and --dst replace the addresses and
// --vlan puts an 802.1Q tag on (VLAN 0: no tag); each takes a list, and
// frame i uses entry i mod n of each list, as it does of the sizes. A size is
// the frame's size without the tag: a tag adds 4 bytes.
// `select` copies, in order, the frames tagged ID (with --vlan=0: the
// untagged ones) and/or sent to MAC; with --untag, without their tag.
// Exit status: 0 ok/equal, 1 different, 2 usage.
#include <arpa/inet.h>
#include <pcap/pcap.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace {

using Frame = std::vector<uint8_t>;
using Mac = std::array<uint8_t, 6>;

constexpr size_t kTagBytes = 4;

int Usage() {
  std::fprintf(stderr,
               "usage: zcswitch-pcaptool gen [--src=MAC,...] [--dst=MAC,...] [--vlan=ID,...] "
               "OUT COUNT [SIZE,...]\n"
               "       zcswitch-pcaptool count FILE\n"
               "       zcswitch-pcaptool cmp [--swap-macs] EXPECTED GOT\n"
               "       zcswitch-pcaptool select [--vlan=ID] [--dst=MAC] [--untag] IN OUT\n");
  return 2;
}

// What `gen` puts in frame i: entry i mod n of each list.
struct GenSpec {
  std::vector<size_t> sizes = {64};
  std::vector<Mac> srcs = {Mac{0x02, 0, 0, 0, 0, 0x01}};
  std::vector<Mac> dsts = {Mac{0x02, 0, 0, 0, 0, 0x02}};
  std::vector<uint16_t> vlans = {0};
};

std::vector<std::string> SplitCommas(const std::string& s) {
  std::vector<std::string> out;
  for (size_t pos = 0; pos <= s.size();) {
    size_t comma = s.find(',', pos);
    if (comma == std::string::npos) comma = s.size();
    out.push_back(s.substr(pos, comma - pos));
    pos = comma + 1;
  }
  return out;
}

// A whole decimal number in [min, max], or -1.
long ParseNumber(const std::string& s, long min, long max) {
  if (s.empty()) return -1;
  char* end;
  const long v = std::strtol(s.c_str(), &end, 10);
  return *end == '\0' && v >= min && v <= max ? v : -1;
}

bool ParseMac(const std::string& s, Mac& mac) {
  unsigned b[6];
  char extra;
  if (std::sscanf(s.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4],
                  &b[5], &extra) != 6) {
    return false;
  }
  for (int i = 0; i < 6; ++i) mac[i] = static_cast<uint8_t>(b[i]);
  return true;
}

bool ParseMacs(const std::string& arg, std::vector<Mac>& macs) {
  macs.clear();
  for (const std::string& s : SplitCommas(arg)) {
    Mac mac;
    if (!ParseMac(s, mac)) {
      std::fprintf(stderr, "zcswitch-pcaptool: bad MAC address \"%s\"\n", s.c_str());
      return false;
    }
    macs.push_back(mac);
  }
  return true;
}

bool ParseVlans(const std::string& arg, std::vector<uint16_t>& vlans) {
  vlans.clear();
  for (const std::string& s : SplitCommas(arg)) {
    const long v = ParseNumber(s, 0, 4094);
    if (v < 0) {
      std::fprintf(stderr, "zcswitch-pcaptool: bad VLAN \"%s\" (0-4094; 0: untagged)\n",
                   s.c_str());
      return false;
    }
    vlans.push_back(static_cast<uint16_t>(v));
  }
  return true;
}

uint16_t IpChecksum(const uint8_t* p, size_t len) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2) sum += (p[i] << 8) | p[i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

Frame MakeFrame(uint32_t seq, size_t size, const Mac& src, const Mac& dst) {
  if (size < 60) size = 60;
  Frame f(size, 0);
  std::memcpy(&f[0], dst.data(), 6);
  std::memcpy(&f[6], src.data(), 6);
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

// The VLAN of an 802.1Q-tagged frame, or 0 for any other.
uint16_t FrameVlan(const Frame& f) {
  if (f.size() < 14 + kTagBytes || f[12] != 0x81 || f[13] != 0x00) return 0;
  return ((f[14] << 8) | f[15]) & 0x0fff;
}

void Tag(Frame& f, uint16_t vlan) {
  const uint8_t tag[kTagBytes] = {0x81, 0x00, static_cast<uint8_t>(vlan >> 8),
                                  static_cast<uint8_t>(vlan & 0xff)};
  f.insert(f.begin() + 12, tag, tag + kTagBytes);
}

void Untag(Frame& f) {
  if (f.size() >= 14 + kTagBytes && f[12] == 0x81 && f[13] == 0x00) {
    f.erase(f.begin() + 12, f.begin() + 12 + kTagBytes);
  }
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

// Writes `frames` with timestamps one microsecond apart.
int WriteAll(const char* out, const std::vector<Frame>& frames) {
  pcap_t* dead = pcap_open_dead(DLT_EN10MB, 65535);
  pcap_dumper_t* dumper = pcap_dump_open(dead, out);
  if (dumper == nullptr) {
    std::fprintf(stderr, "zcswitch-pcaptool: %s: %s\n", out, pcap_geterr(dead));
    pcap_close(dead);
    return 1;
  }
  for (size_t i = 0; i < frames.size(); ++i) {
    pcap_pkthdr hdr{};
    hdr.ts.tv_sec = 1700000000 + i / 1000000;
    hdr.ts.tv_usec = i % 1000000;
    hdr.caplen = hdr.len = static_cast<bpf_u_int32>(frames[i].size());
    pcap_dump(reinterpret_cast<u_char*>(dumper), &hdr, frames[i].data());
  }
  pcap_dump_close(dumper);
  pcap_close(dead);
  return 0;
}

bool ParseSizes(const std::string& arg, std::vector<size_t>& sizes) {
  sizes.clear();
  for (const std::string& s : SplitCommas(arg)) {
    const long v = ParseNumber(s, 60, 65535);
    if (v < 0) {
      std::fprintf(stderr, "zcswitch-pcaptool: bad size in \"%s\" (60-65535)\n", arg.c_str());
      return false;
    }
    sizes.push_back(static_cast<size_t>(v));
  }
  return true;
}

int Gen(const char* out, long count, const GenSpec& spec) {
  std::vector<Frame> frames;
  for (long i = 0; i < count; ++i) {
    Frame f = MakeFrame(static_cast<uint32_t>(i), spec.sizes[i % spec.sizes.size()],
                        spec.srcs[i % spec.srcs.size()], spec.dsts[i % spec.dsts.size()]);
    const uint16_t vlan = spec.vlans[i % spec.vlans.size()];
    if (vlan != 0) Tag(f, vlan);
    frames.push_back(std::move(f));
  }
  return WriteAll(out, frames);
}

// Which frames `select` keeps.
struct Selection {
  std::optional<uint16_t> vlan;
  std::optional<Mac> dst;
  bool untag = false;
};

int Select(const char* in, const char* out, const Selection& sel) {
  std::vector<Frame> frames, selected;
  if (!ReadAll(in, frames)) return 1;
  for (Frame& f : frames) {
    if (sel.vlan && FrameVlan(f) != *sel.vlan) continue;
    if (sel.dst && (f.size() < 6 || !std::equal(sel.dst->begin(), sel.dst->end(), f.begin()))) {
      continue;
    }
    if (sel.untag) Untag(f);
    selected.push_back(std::move(f));
  }
  return WriteAll(out, selected);
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

// Takes the leading --name=value options off `args`; false on an unknown one.
bool TakeOptions(std::vector<std::string>& args, const std::vector<std::string>& known,
                 std::vector<std::pair<std::string, std::string>>& options) {
  while (!args.empty() && args[0].rfind("--", 0) == 0) {
    const size_t eq = args[0].find('=');
    const std::string name = args[0].substr(0, eq);
    if (std::find(known.begin(), known.end(), name) == known.end()) return false;
    options.emplace_back(name, eq == std::string::npos ? "" : args[0].substr(eq + 1));
    args.erase(args.begin());
  }
  return true;
}

int GenCommand(std::vector<std::string> args) {
  std::vector<std::pair<std::string, std::string>> options;
  if (!TakeOptions(args, {"--src", "--dst", "--vlan"}, options)) return Usage();
  if (args.size() != 2 && args.size() != 3) return Usage();
  GenSpec spec;
  for (const auto& [name, value] : options) {
    const bool ok = name == "--src"   ? ParseMacs(value, spec.srcs)
                    : name == "--dst" ? ParseMacs(value, spec.dsts)
                                      : ParseVlans(value, spec.vlans);
    if (!ok) return 2;
  }
  const long count = ParseNumber(args[1], 0, 100000000);
  if (count < 0) return Usage();
  if (args.size() == 3 && !ParseSizes(args[2], spec.sizes)) return 2;
  return Gen(args[0].c_str(), count, spec);
}

int SelectCommand(std::vector<std::string> args) {
  std::vector<std::pair<std::string, std::string>> options;
  if (!TakeOptions(args, {"--vlan", "--dst", "--untag"}, options) || args.size() != 2) {
    return Usage();
  }
  Selection sel;
  for (const auto& [name, value] : options) {
    if (name == "--untag") {
      sel.untag = true;
    } else if (name == "--dst") {
      Mac mac;
      if (!ParseMac(value, mac)) return Usage();
      sel.dst = mac;
    } else {
      const long vlan = ParseNumber(value, 0, 4094);
      if (vlan < 0) return Usage();
      sel.vlan = static_cast<uint16_t>(vlan);
    }
  }
  return Select(args[0].c_str(), args[1].c_str(), sel);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage();
  const std::string cmd = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  if (cmd == "gen") return GenCommand(args);
  if (cmd == "select") return SelectCommand(args);
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
