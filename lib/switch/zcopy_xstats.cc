#include "lib/switch/zcopy_xstats.h"

#include "absl/strings/str_cat.h"

namespace zcswitch {

const ZcopyXstatInfo* FindZcopyXstat(absl::string_view name) {
  for (const ZcopyXstatInfo& info : kZcopyXstats) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

PortXstat MakeZcopyXstat(ZcopyXstat x, std::string queue, uint64_t value, std::string reason) {
  const ZcopyXstatInfo& info = ZcopyXstatOf(x);
  return {.name = std::string(info.name),
          .reason = std::move(reason),
          .queue = std::move(queue),
          .value = value,
          .help = info.help,
          .kind = info.kind,
          .metric = info.metric,
          // Counters are summed per port; a level is per queue.
          .per_port = info.kind == XstatKind::kCounter};
}

uint64_t CyclesToMicroseconds(uint64_t cycles, uint64_t hz) {
  if (hz == 0) return 0;
  // cycles * 1e6 overflows after about 5 hours of summed hold at 1 GHz.
  return cycles / hz * 1000000 + cycles % hz * 1000000 / hz;
}

void AppendZcopyXstats(const ZcopyCounters& c, bool can_lend, uint16_t rx_queue, uint64_t tsc_hz,
                       std::vector<PortXstat>& out) {
  const std::string q = absl::StrCat("rx", rx_queue);
  out.push_back(MakeZcopyXstat(ZcopyXstat::kPackets, q, c.packets.Read()));
  out.push_back(MakeZcopyXstat(ZcopyXstat::kBytes, q, c.bytes.Read()));
  for (size_t r = 0; r < kNumCopyReasons; ++r) {
    out.push_back(MakeZcopyXstat(ZcopyXstat::kCopied, q, c.copied[r].Read(),
                                 std::string(kCopyReasonNames[r])));
  }
  out.push_back(MakeZcopyXstat(ZcopyXstat::kCompletions, q, c.completions.Read()));
  out.push_back(MakeZcopyXstat(ZcopyXstat::kHoldUs, q,
                               CyclesToMicroseconds(c.held_cycles.Read(), tsc_hz)));
  out.push_back(MakeZcopyXstat(ZcopyXstat::kInflight, q, c.inflight.Read()));
  out.push_back(MakeZcopyXstat(ZcopyXstat::kInflightMax, q, c.inflight_max.Read()));
  out.push_back(MakeZcopyXstat(ZcopyXstat::kHeadInUse, q, c.head_in_use.Read()));
  out.push_back(MakeZcopyXstat(ZcopyXstat::kAbandoned, q, c.abandoned.Read()));
  out.push_back(MakeZcopyXstat(ZcopyXstat::kCanLend, q, can_lend ? 1 : 0));
}

void AppendReapXstats(const Port& port, std::vector<PortXstat>& out) {
  if (port.zcopy_target() != ZcopyTarget::kReaped) return;
  for (uint16_t q = 0; q < port.tx_queues(); ++q) {
    out.push_back(MakeZcopyXstat(ZcopyXstat::kReaps, absl::StrCat("tx", q), port.reaps(q)));
  }
}

namespace {

// A target's name (JSON) and text (show zcopy), from one switch, so that a
// target added to the enum cannot have one and lack the other.
struct TargetWords {
  absl::string_view name;
  absl::string_view text;
};

TargetWords WordsOf(ZcopyTarget target) {
  switch (target) {
    case ZcopyTarget::kCopy:
      return {"copy_not_prompt", "copy: not prompt"};
    case ZcopyTarget::kCopyNoReap:
      return {"copy_no_reap", "copy: no reap"};
    case ZcopyTarget::kCopiesOut:
      return {"copied_out", "copied out: not prompt, taken as it is and copied into the guest"};
    case ZcopyTarget::kReference:
      return {"reference", "reference"};
    case ZcopyTarget::kReaped:
      return {"reaped", "reaped"};
  }
  return {"?", "?"};
}

}  // namespace

absl::string_view ZcopyTargetText(ZcopyTarget target) { return WordsOf(target).text; }

absl::string_view ZcopyTargetName(ZcopyTarget target) { return WordsOf(target).name; }

}  // namespace zcswitch
