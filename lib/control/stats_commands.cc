#include "lib/control/stats_commands.h"

#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/base/status_macros.h"
#include "lib/control/stats_delta.h"
#include "lib/control/stats_text.h"

namespace zcswitch {
namespace {

nlohmann::json DropsJson(const PortCounters& c) {
  nlohmann::json drops = nlohmann::json::object();
  for (size_t r = 0; r < kNumDropReasons; ++r) {
    const auto reason = static_cast<DropReason>(r);
    drops[std::string(DropReasonName(reason))] = c.drops(reason);
  }
  return drops;
}

nlohmann::json PortJson(const PortSnapshot& p) {
  return {{"name", p.name},
          {"type", p.type},
          {"link_up", p.link_up},
          {"rx_packets", p.counters.rx_packets},
          {"rx_bytes", p.counters.rx_bytes},
          {"tx_packets", p.counters.tx_packets},
          {"tx_bytes", p.counters.tx_bytes},
          {"drops", DropsJson(p.counters)}};
}

nlohmann::json XstatsJson(const std::vector<PortXstat>& xstats) {
  nlohmann::json out = nlohmann::json::array();
  for (const PortXstat& x : xstats) {
    out.push_back({{"name", x.name}, {"reason", x.reason}, {"queue", x.queue}, {"value", x.value}});
  }
  return out;
}

nlohmann::json QueuesJson(const std::vector<PortCounters>& queues, bool rx) {
  nlohmann::json out = nlohmann::json::array();
  for (size_t q = 0; q < queues.size(); ++q) {
    const PortCounters& c = queues[q];
    out.push_back({{"queue", q},
                   {"packets", rx ? c.rx_packets : c.tx_packets},
                   {"bytes", rx ? c.rx_bytes : c.tx_bytes},
                   {"dropped", rx ? c.rx_dropped() : c.tx_dropped()},
                   {"drops", DropsJson(c)}});
  }
  return out;
}

nlohmann::json LcoreJson(const LcoreSnapshot& l) {
  nlohmann::json queues = nlohmann::json::array();
  for (const RxQueueSnapshot& q : l.queues) {
    queues.push_back({{"port", q.port},
                      {"queue", q.queue},
                      {"packets", q.sample.packets},
                      {"cycles", q.sample.cycles}});
  }
  return {{"lcore", l.lcore_id},
          {"rx_queues", l.rx_queues},
          {"busy_cycles", l.sample.busy_cycles},
          {"idle_cycles", l.sample.idle_cycles},
          {"packets", l.sample.packets},
          {"cycles_per_packet", l.sample.CyclesPerPacket()},
          {"queues", queues}};
}

// What the commands remember between calls; the control thread's alone.
struct Baselines {
  SwitchSnapshot port;  // `clear port stats`, per port
  SwitchSnapshot lcore;
  SwitchSnapshot fwd;
  std::optional<SwitchSnapshot> last_show;  // the previous `show port stats`
};

// [NAME|all]: nullopt for every port.
std::optional<std::string> PortArg(const CommandArgs& args) {
  if (!args.Has("NAME") || args.Word("NAME") == "all") return std::nullopt;
  return args.Word("NAME");
}

void KeepPort(SwitchSnapshot& s, const std::optional<std::string>& name) {
  if (name) std::erase_if(s.ports, [&](const PortSnapshot& p) { return p.name != *name; });
}

using Args = const CommandArgs&;
using Reply = absl::StatusOr<CommandReply>;

}  // namespace

void AddStatsCommands(CommandTable& table, std::function<SwitchSnapshot()> snapshot,
                      std::function<std::vector<std::string>()> port_names) {
  auto base = std::make_shared<Baselines>();
  const ArgList none;
  const ArgList some_port = ArgList().Optional("NAME", PortNameArg("NAME", port_names, /*all=*/true));
  const ArgList one_port = ArgList().Required("NAME", PortNameArg("NAME", port_names));
  table.Add("show port stats", some_port,
            "per-port packets, bytes, drops by reason, and rates since the last show",
            [snapshot, base](Args args) -> Reply {
              const SwitchSnapshot now = snapshot();
              const std::optional<std::string> name = PortArg(args);
              SwitchSnapshot before;
              before.tsc = now.started_tsc;
              if (base->last_show) before = *base->last_show;
              const std::vector<PortRate> all_rates = PortRates(now, before);
              base->last_show = now;
              SwitchSnapshot shown = Subtract(now, base->port);
              std::vector<PortRate> rates;
              nlohmann::json ports = nlohmann::json::array();
              for (size_t i = 0; i < shown.ports.size(); ++i) {
                if (name && shown.ports[i].name != *name) continue;
                const PortRate& r = all_rates[i];
                nlohmann::json p = PortJson(shown.ports[i]);
                p["rates"] = {{"rx_pps", r.rx_pps},
                              {"tx_pps", r.tx_pps},
                              {"rx_bps", r.rx_bps},
                              {"tx_bps", r.tx_bps}};
                ports.push_back(std::move(p));
                rates.push_back(r);
              }
              KeepPort(shown, name);
              const double interval =
                  now.tsc_hz == 0 ? 0.0 : static_cast<double>(now.tsc - before.tsc) / now.tsc_hz;
              return CommandReply{{{"ports", ports}, {"interval_s", interval}},
                                  FormatPortStats(shown, rates)};
            });
  table.Add("clear port stats", some_port, "zero what show port stats and xstats display",
            [snapshot, base](Args args) -> Reply {
              const SwitchSnapshot now = snapshot();
              const std::optional<std::string> name = PortArg(args);
              SetPortBaseline(base->port, now, name);
              return CommandReply{nlohmann::json::object(),
                                  absl::StrFormat("cleared the statistics of %s\n",
                                                  name ? "port " + *name : "every port")};
            });
  table.Add("show port xstats", one_port,
            "one port's counters per queue, and its type's own (vhost: bad descriptors, kicks)",
            [snapshot, base](Args args) -> Reply {
              const SwitchSnapshot now = snapshot();
              const std::optional<std::string> name = PortArg(args);
              SwitchSnapshot shown = Subtract(now, base->port);
              KeepPort(shown, name);
              const PortSnapshot& p = shown.ports.front();
              nlohmann::json data = {{"name", p.name},
                                     {"type", p.type},
                                     {"rx_queues", QueuesJson(p.rx_queues, true)},
                                     {"tx_queues", QueuesJson(p.tx_queues, false)},
                                     {"xstats", XstatsJson(p.xstats)},
                                     {"device_xstats", XstatsJson(p.device_xstats)}};
              return CommandReply{std::move(data), FormatPortXstats(p)};
            });
  table.Add("show port info", some_port,
            "type, device or socket, link, queues, VLAN and offloads of each port",
            [snapshot](Args args) -> Reply {
              SwitchSnapshot now = snapshot();
              const std::optional<std::string> name = PortArg(args);
              KeepPort(now, name);
              nlohmann::json ports = nlohmann::json::array();
              for (const PortSnapshot& p : now.ports) {
                nlohmann::json j = {{"name", p.name},
                                    {"type", p.type},
                                    {"link_up", p.link_up},
                                    {"started", p.started},
                                    {"rx_queues", p.rx_queues.size()},
                                    {"tx_queues", p.tx_queues.size()}};
                if (p.info) {
                  j["description"] = p.info->description;
                  j["vlan"] = p.info->vlan;
                  j["tx_offloads"] = p.info->tx_offloads;
                }
                ports.push_back(std::move(j));
              }
              return CommandReply{{{"ports", ports}}, FormatPortInfo(now)};
            });
  table.Add("show lcore stats", none,
            "per lcore: cycles, packets, cycles per packet; per RX queue: packets, cycle share",
            [snapshot, base](Args args) -> Reply {
              const SwitchSnapshot shown = Subtract(snapshot(), base->lcore);
              nlohmann::json lcores = nlohmann::json::array();
              for (const LcoreSnapshot& l : shown.lcores) lcores.push_back(LcoreJson(l));
              return CommandReply{{{"lcores", lcores}, {"tsc_hz", shown.tsc_hz}},
                                  FormatLcoreStats(shown)};
            });
  table.Add("clear lcore stats", none, "zero what show lcore stats displays",
            [snapshot, base](Args args) -> Reply {
              base->lcore = snapshot();
              return CommandReply{nlohmann::json::object(), "cleared the lcore statistics\n"};
            });
  table.Add("show fwd stats", none, "per port RX, TX and drops since clear fwd stats, and totals",
            [snapshot, base](Args args) -> Reply {
              const SwitchSnapshot shown = Subtract(snapshot(), base->fwd);
              nlohmann::json ports = nlohmann::json::array();
              PortCounters total;
              for (const PortSnapshot& p : shown.ports) {
                ports.push_back({{"name", p.name},
                                 {"rx_packets", p.counters.rx_packets},
                                 {"rx_dropped", p.counters.rx_dropped()},
                                 {"tx_packets", p.counters.tx_packets},
                                 {"tx_dropped", p.counters.tx_dropped()}});
                total += p.counters;
              }
              nlohmann::json totals = {{"rx_packets", total.rx_packets},
                                       {"rx_dropped", total.rx_dropped()},
                                       {"tx_packets", total.tx_packets},
                                       {"tx_dropped", total.tx_dropped()}};
              return CommandReply{{{"ports", ports}, {"total", totals}}, FormatFwdStats(shown)};
            });
  table.Add("clear fwd stats", none, "zero what show fwd stats displays",
            [snapshot, base](Args args) -> Reply {
              SetPortBaseline(base->fwd, snapshot(), std::nullopt);
              return CommandReply{nlohmann::json::object(), "cleared the forward statistics\n"};
            });
  table.Add("show config fwd", none, "forwarding mode, lcores and their queues, pairs, TX retries",
            [snapshot](Args args) -> Reply {
              const SwitchSnapshot s = snapshot();
              nlohmann::json lcores = nlohmann::json::array();
              for (const LcoreSnapshot& l : s.lcores) {
                nlohmann::json queues = nlohmann::json::array();
                for (const RxQueueSnapshot& q : l.queues) {
                  const PortSnapshot* port = FindPortSnapshot(s, q.port);
                  queues.push_back({{"port", q.port},
                                    {"queue", q.queue},
                                    {"started", port == nullptr || port->started}});
                }
                lcores.push_back({{"lcore", l.lcore_id}, {"queues", queues}});
              }
              nlohmann::json data = {{"lcores", lcores}};
              if (s.fwd) {
                data["mode"] = s.fwd->mode;
                data["tx_retries"] = s.fwd->tx_retries;
                data["pairs"] = s.fwd->pairs;
              }
              return CommandReply{std::move(data), FormatFwdConfig(s)};
            });
}

}  // namespace zcswitch
