#include "lib/bridge/zcopy_commands.h"

#include <array>
#include <cstdio>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "lib/switch/zcopy_xstats.h"
#include "lib/zcopy/zcopy_counters.h"

namespace zcswitch {
namespace {

// One guest queue's zero-copy xstats, gathered.
struct QueueView {
  std::string queue;
  std::array<uint64_t, kNumZcopyXstats> values{};  // by ZcopyXstat; kCopied: every reason
  std::array<uint64_t, kNumCopyReasons> copied{};

  uint64_t operator[](ZcopyXstat x) const { return values[static_cast<size_t>(x)]; }
  double AverageHoldUs() const {
    const uint64_t n = (*this)[ZcopyXstat::kCompletions];
    return n == 0 ? 0.0 : static_cast<double>((*this)[ZcopyXstat::kHoldUs]) / n;
  }
};

struct PortView {
  const PortSnapshot* port;
  std::vector<QueueView> queues;  // guest queues that lend: a vhost-user port's
  std::vector<std::pair<std::string, uint64_t>> reaps;  // by TX queue, for a reaped port

  // A connected guest none of whose queues can lend: it took IN_ORDER.
  bool TookInOrder() const {
    if (!port->link_up || queues.empty()) return false;
    for (const QueueView& q : queues) {
      if (q[ZcopyXstat::kCanLend] != 0) return false;
    }
    return true;
  }
};

PortView ViewOf(const PortSnapshot& p) {
  PortView v{&p, {}, {}};
  for (const PortXstat& x : p.xstats) {
    const ZcopyXstatInfo* info = FindZcopyXstat(x.name);
    if (info == nullptr) continue;
    const auto id = static_cast<ZcopyXstat>(info - kZcopyXstats);
    if (id == ZcopyXstat::kReaps) {
      v.reaps.emplace_back(x.queue, x.value);
      continue;
    }
    if (v.queues.empty() || v.queues.back().queue != x.queue) {
      v.queues.push_back({.queue = x.queue});
    }
    QueueView& q = v.queues.back();
    q.values[static_cast<size_t>(id)] += x.value;
    if (id != ZcopyXstat::kCopied) continue;
    for (size_t r = 0; r < kNumCopyReasons; ++r) {
      if (kCopyReasonNames[r] == x.reason) q.copied[r] = x.value;
    }
  }
  return v;
}

nlohmann::json SettingsJson(const ZcopySettings::Values& s) {
  return {{"enabled", s.enabled},
          {"copy_threshold", s.copy_threshold},
          {"max_inflight", s.max_inflight},
          {"reap_us", s.reap_us},
          {"header_bytes", s.header_bytes}};
}

std::string SettingsText(const ZcopySettings::Values& s) {
  return absl::StrFormat(
      "zero-copy %s: copy_threshold %d, max_inflight %d, reap_us %d, header_bytes %d\n",
      s.enabled ? "on" : "off", s.copy_threshold, s.max_inflight, s.reap_us, s.header_bytes);
}

nlohmann::json QueueJson(const QueueView& q) {
  nlohmann::json copied = nlohmann::json::object();
  for (size_t r = 0; r < kNumCopyReasons; ++r) copied[std::string(kCopyReasonNames[r])] = q.copied[r];
  return {{"queue", q.queue},
          {"can_lend", q[ZcopyXstat::kCanLend] != 0},
          {"packets", q[ZcopyXstat::kPackets]},
          {"bytes", q[ZcopyXstat::kBytes]},
          {"copied", copied},
          {"copied_total", q[ZcopyXstat::kCopied]},
          {"inflight", q[ZcopyXstat::kInflight]},
          {"inflight_max", q[ZcopyXstat::kInflightMax]},
          {"completions", q[ZcopyXstat::kCompletions]},
          {"hold_us", q[ZcopyXstat::kHoldUs]},
          {"avg_hold_us", q.AverageHoldUs()},
          {"head_in_use", q[ZcopyXstat::kHeadInUse]},
          {"abandoned", q[ZcopyXstat::kAbandoned]}};
}

constexpr absl::string_view kInOrderNote =
    "its guest took IN_ORDER, offered because zero-copy was off when the port was added: "
    "it lends nothing until the port is added again";

std::string PortText(const PortView& v) {
  const PortSnapshot& p = *v.port;
  std::string out = absl::StrFormat("port %s (%s): target %s\n", p.name, p.type,
                                    ZcopyTargetText(p.zcopy_target));
  if (v.TookInOrder()) absl::StrAppend(&out, "  ", kInOrderNote, "\n");
  if (!v.queues.empty()) {
    absl::StrAppend(&out, absl::StrFormat("  %-6s %-8s %14s %16s %12s %8s %8s %12s %11s\n",
                                          "queue", "can-lend", "zc-packets", "zc-bytes", "copied",
                                          "inflight", "max", "completions", "avg-hold-us"));
  }
  std::string copied;
  std::string trouble;
  for (const QueueView& q : v.queues) {
    absl::StrAppend(
        &out, absl::StrFormat("  %-6s %-8s %14d %16d %12d %8d %8d %12d %11.1f\n", q.queue,
                              q[ZcopyXstat::kCanLend] != 0 ? "yes" : "no",
                              q[ZcopyXstat::kPackets], q[ZcopyXstat::kBytes],
                              q[ZcopyXstat::kCopied], q[ZcopyXstat::kInflight],
                              q[ZcopyXstat::kInflightMax], q[ZcopyXstat::kCompletions],
                              q.AverageHoldUs()));
    for (size_t r = 0; r < kNumCopyReasons; ++r) {
      if (q.copied[r] != 0) {
        absl::StrAppend(&copied, absl::StrFormat(" %s %s=%d", q.queue, kCopyReasonNames[r],
                                                 q.copied[r]));
      }
    }
    for (ZcopyXstat x : {ZcopyXstat::kHeadInUse, ZcopyXstat::kAbandoned}) {
      if (q[x] != 0) {
        absl::StrAppend(&trouble,
                        absl::StrFormat(" %s %s=%d", q.queue, ZcopyXstatOf(x).name, q[x]));
      }
    }
  }
  if (!copied.empty()) absl::StrAppend(&out, "  copied by reason:", copied, "\n");
  if (!trouble.empty()) absl::StrAppend(&out, "  not given back in time:", trouble, "\n");
  if (!v.reaps.empty()) {
    absl::StrAppend(&out, "  reaps:");
    for (const auto& [queue, n] : v.reaps) absl::StrAppend(&out, absl::StrFormat(" %s=%d", queue, n));
    absl::StrAppend(&out, "\n");
  }
  return out;
}

nlohmann::json PortJson(const PortView& v) {
  nlohmann::json queues = nlohmann::json::array();
  for (const QueueView& q : v.queues) queues.push_back(QueueJson(q));
  nlohmann::json reaps = nlohmann::json::object();
  for (const auto& [queue, n] : v.reaps) reaps[queue] = n;
  return {{"name", v.port->name},
          {"type", v.port->type},
          {"target", ZcopyTargetName(v.port->zcopy_target)},
          {"in_order", v.TookInOrder()},
          {"queues", queues},
          {"reaps", reaps}};
}

using Reply = absl::StatusOr<CommandReply>;

}  // namespace

CommandReply ZcopyReply(const ZcopySettings::Values& settings, const SwitchSnapshot& snapshot) {
  std::string text = SettingsText(settings);
  nlohmann::json ports = nlohmann::json::array();
  for (const PortSnapshot& p : snapshot.ports) {
    const PortView v = ViewOf(p);
    absl::StrAppend(&text, PortText(v));
    ports.push_back(PortJson(v));
  }
  return CommandReply{{{"settings", SettingsJson(settings)}, {"ports", ports}}, std::move(text)};
}

namespace {

// A port's zero-copy counts summed over its queues: packets lent, copies
// by reason.
struct LendTotals {
  uint64_t lent = 0;
  std::array<uint64_t, kNumCopyReasons> copied{};
};

LendTotals TotalsOf(const PortView& v) {
  LendTotals t;
  for (const QueueView& q : v.queues) {
    t.lent += q[ZcopyXstat::kPackets];
    for (size_t r = 0; r < kNumCopyReasons; ++r) t.copied[r] += q.copied[r];
  }
  return t;
}

}  // namespace

std::string FormatZcopyActivity(const SwitchSnapshot& now, const SwitchSnapshot& before) {
  std::string out;
  for (const PortSnapshot& p : now.ports) {
    const PortView v = ViewOf(p);
    if (v.queues.empty()) continue;
    LendTotals t = TotalsOf(v);
    for (const PortSnapshot& b : before.ports) {
      if (b.name != p.name || b.serial != p.serial) continue;
      const LendTotals earlier = TotalsOf(ViewOf(b));
      t.lent -= earlier.lent;
      for (size_t r = 0; r < kNumCopyReasons; ++r) t.copied[r] -= earlier.copied[r];
    }
    uint64_t copied = 0;
    std::string reasons;
    for (size_t r = 0; r < kNumCopyReasons; ++r) {
      copied += t.copied[r];
      if (t.copied[r] != 0) {
        absl::StrAppend(&reasons, " ", kCopyReasonNames[r], "=", t.copied[r]);
      }
    }
    if (t.lent == 0 && copied == 0) continue;
    absl::StrAppend(&out, absl::StrFormat("  %-12s lent %12d  copied %12d%s%s\n", p.name, t.lent,
                                          copied, reasons.empty() ? "" : ":", reasons));
  }
  return out.empty() ? out : "zero-copy (guest packets sent by reference, or copied and why):\n" + out;
}

std::vector<std::string> PortsNotLending(const SwitchSnapshot& snapshot) {
  std::vector<std::string> names;
  for (const PortSnapshot& p : snapshot.ports) {
    if (ViewOf(p).TookInOrder()) names.push_back(p.name);
  }
  return names;
}

void AddZcopyCommands(CommandTable& table, ZcopySettings* settings,
                      std::function<SwitchSnapshot()> snapshot,
                      std::function<std::vector<std::string>()> port_names) {
  table.Add("show zcopy", ArgList().Optional("NAME", PortNameArg("NAME", port_names)),
            "zero-copy's settings; per port its target, per guest queue packets lent and "
            "copied by reason, in flight, completions and hold time",
            [settings, snapshot](const CommandArgs& args) -> Reply {
              SwitchSnapshot s = snapshot();
              if (args.Has("NAME")) {
                std::erase_if(s.ports,
                              [&](const PortSnapshot& p) { return p.name != args.Word("NAME"); });
              }
              return ZcopyReply(settings->Get(), s);
            });
  table.Add("set zcopy", ArgList().Required("STATE", ChoiceArg("state", {"on", "off"})),
            "lend guest packets to the switch by reference, or copy every one",
            [settings, snapshot](const CommandArgs& args) -> Reply {
              ZcopySettings::Values v = settings->Get();
              v.enabled = args.Word("STATE") == "on";
              settings->Set(v);
              std::fprintf(stderr, "zcswitchd: zero-copy %s\n", v.enabled ? "on" : "off");
              std::string text = absl::StrFormat("zero-copy %s\n", v.enabled ? "on" : "off");
              nlohmann::json data = SettingsJson(v);
              const std::vector<std::string> in_order =
                  v.enabled ? PortsNotLending(snapshot()) : std::vector<std::string>();
              for (const std::string& name : in_order) {
                absl::StrAppend(&text, "port ", name, ": ", kInOrderNote, "\n");
              }
              data["in_order_ports"] = in_order;
              return CommandReply{std::move(data), std::move(text)};
            });
  for (const ZcopyKnob& knob : kZcopyKnobs) {
    table.Add(absl::StrCat("set zcopy ", knob.name),
              ArgList().Required("N", UintArg("N", knob.min, knob.max)), std::string(knob.help),
              [settings, knob](const CommandArgs& args) -> Reply {
                ZcopySettings::Values v = settings->Get();
                const uint32_t was = v.*knob.field;
                v.*knob.field = static_cast<uint32_t>(args.Uint("N"));
                settings->Set(v);
                std::fprintf(stderr, "zcswitchd: zero-copy %s %u (was %u)\n",
                             std::string(knob.name).c_str(), v.*knob.field, was);
                return CommandReply{
                    SettingsJson(v),
                    absl::StrFormat("zero-copy %s %d (was %d)\n", knob.name, v.*knob.field, was)};
              });
  }
}

void AddZcopyCommands(CommandTable& table, Bridge* bridge) {
  AddZcopyCommands(
      table, &bridge->zcopy(), [bridge] { return bridge->Snapshot(); },
      [bridge] { return bridge->PortNames(); });
}

}  // namespace zcswitch
