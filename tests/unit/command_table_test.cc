#include "lib/control/command_table.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace zcswitch {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Records which command ran with which words (a command taking the rest as
// WORDS).
CommandHandler Recorder(std::string name, std::vector<std::string>& log) {
  return [name, &log](const CommandArgs& args) -> absl::StatusOr<CommandReply> {
    std::string entry = name;
    if (args.Has("WORDS")) {
      for (const std::string& a : args.Rest("WORDS")) entry += " <" + a + ">";
    }
    log.push_back(entry);
    return CommandReply{{{"ran", name}}, name};
  };
}

ArgList Rest(std::string metavar) { return ArgList().Rest("WORDS", std::move(metavar)); }

std::vector<std::string> Words(std::initializer_list<const char*> words) {
  return {words.begin(), words.end()};
}

TEST(CommandTableTest, LongestPrefixWinsAndGetsTheRest) {
  std::vector<std::string> log;
  CommandTable t;
  t.Add("show", Rest("WHAT"), "generic show", Recorder("show", log));
  t.Add("show port stats", Rest("[NAME]"), "port stats", Recorder("port-stats", log));
  ASSERT_TRUE(t.Run(Words({"show", "port", "stats", "uplink"})).ok());
  ASSERT_TRUE(t.Run(Words({"show", "port", "info"})).ok());
  ASSERT_TRUE(t.Run(Words({"show", "port", "stats"})).ok());
  EXPECT_THAT(log, ElementsAre("port-stats <uplink>", "show <port> <info>", "port-stats"));
}

TEST(CommandTableTest, UnknownCommandNamesItAndListsTheRest) {
  std::vector<std::string> log;
  CommandTable t;
  t.Add("show port stats", Rest("[NAME]"), "port stats", Recorder("port-stats", log));
  absl::StatusOr<CommandReply> r = t.Run(Words({"show", "ports"}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("unknown command \"show ports\""));
  EXPECT_THAT(r.status().message(), HasSubstr("show port stats [NAME]"));
  EXPECT_FALSE(t.Run({}).ok());
  EXPECT_TRUE(log.empty());
}

TEST(CommandTableTest, IncompleteCommandListsOnlyWhereItGoesOn) {
  std::vector<std::string> log;
  CommandTable t;
  t.Add("show port stats", Rest("[NAME]"), "port stats", Recorder("port-stats", log));
  t.Add("show port info", Rest("[NAME]"), "port info", Recorder("port-info", log));
  t.Add("shutdown", ArgList(), "stop", Recorder("shutdown", log));
  absl::StatusOr<CommandReply> r = t.Run(Words({"show", "port"}));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("incomplete command \"show port\""));
  EXPECT_THAT(r.status().message(), HasSubstr("show port info"));
  EXPECT_THAT(r.status().message(), ::testing::Not(HasSubstr("shutdown")));
  EXPECT_TRUE(log.empty());
}

TEST(CommandTableTest, HelpForSomeWordsListsTheCommandsStartingSo) {
  std::vector<std::string> log;
  CommandTable t;
  t.Add("show port stats", Rest("[NAME]"), "port stats", Recorder("a", log));
  t.Add("show fdb", ArgList(), "fdb", Recorder("b", log));
  t.Add("port add", Rest("NAME"), "add", Recorder("c", log));
  const CommandReply port = t.HelpReply(Words({"port"}));
  ASSERT_EQ(port.data["commands"].size(), 1u);
  EXPECT_EQ(port.data["commands"][0]["words"], nlohmann::json::parse(R"(["port", "add"])"));
  EXPECT_THAT(port.text, HasSubstr("port add NAME"));
  EXPECT_THAT(port.text, ::testing::Not(HasSubstr("show")));
  EXPECT_EQ(t.HelpReply(Words({"show"})).data["commands"].size(), 2u);
  EXPECT_TRUE(t.HelpReply(Words({"nothing"})).data["commands"].empty());
}

TEST(CommandTableTest, HandlerErrorsPassThrough) {
  CommandTable t;
  t.Add("fail", ArgList(), "always fails", [](const CommandArgs&) {
    return absl::StatusOr<CommandReply>(absl::NotFoundError("no such thing"));
  });
  EXPECT_EQ(t.Run(Words({"fail"})).status().code(), absl::StatusCode::kNotFound);
}

TEST(CommandTableTest, HelpListsEveryCommandWithUsage) {
  std::vector<std::string> log;
  CommandTable t;
  t.Add("shutdown", ArgList(), "stop", Recorder("a", log));
  t.Add("show lcore stats", ArgList(), "lcores", Recorder("b", log));
  const std::string help = t.Help();
  EXPECT_THAT(help, HasSubstr("shutdown"));
  EXPECT_THAT(help, HasSubstr("show lcore stats"));
  EXPECT_THAT(help, HasSubstr("lcores"));
}

TEST(CommandTableTest, HelpReplyListsEveryCommandForClients) {
  std::vector<std::string> log;
  CommandTable t;
  t.Add("help", ArgList(), "list", Recorder("help", log));
  t.Add("show port stats", ArgList().Optional("NAME", ChoiceArg("port", {"a", "b"})), "ports",
        Recorder("ports", log));
  ASSERT_EQ(t.Commands().size(), 2u);
  EXPECT_THAT(t.Commands()[1].words, ElementsAre("show", "port", "stats"));
  const CommandReply reply = t.HelpReply();
  EXPECT_EQ(reply.text, t.Help());
  EXPECT_EQ(reply.data, nlohmann::json::parse(R"({"commands": [
      {"words": ["help"], "usage": "", "help": "list", "args": []},
      {"words": ["show", "port", "stats"], "usage": "[a|b]", "help": "ports",
       "args": [{"name": "NAME", "metavar": "a|b", "form": "optional",
                 "choices": ["a", "b"]}]}]})"));
}

// Words that are both a command and the start of longer ones (`set zcopy`,
// `set zcopy reap_us`): a refusal shows every way they go on.
TEST(CommandTableTest, RefusalShowsTheCommandsThatGoOnFromTheSameWords) {
  std::vector<std::string> log;
  CommandTable t;
  t.Add("set zcopy", ArgList().Required("STATE", ChoiceArg("state", {"on", "off"})), "on/off",
        Recorder("onoff", log));
  t.Add("set zcopy reap_us", ArgList().Required("N", UintArg("N", 1, 9)), "reap",
        Recorder("reap", log));
  t.Add("set fwd", ArgList().Required("MODE", WordArg("MODE")), "fwd", Recorder("fwd", log));
  absl::StatusOr<CommandReply> r = t.Run(Words({"set", "zcopy", "maybe"}));
  EXPECT_EQ(std::string(r.status().message()),
            "unknown state \"maybe\" (expected on or off); usage: set zcopy on|off\n"
            "   or: set zcopy reap_us N");
  // The longer command's own refusal is its own.
  r = t.Run(Words({"set", "zcopy", "reap_us", "10"}));
  EXPECT_EQ(r.status().message(),
            "N needs a number from 1 to 9; usage: set zcopy reap_us N");
  EXPECT_TRUE(log.empty());
  ASSERT_TRUE(t.Run(Words({"set", "zcopy", "reap_us", "3"})).ok());
  ASSERT_TRUE(t.Run(Words({"set", "zcopy", "on"})).ok());
  EXPECT_THAT(log, ElementsAre("reap", "onoff"));
}

// The handler never sees words its arguments refuse: the refusal names the
// problem and gives the usage.
TEST(CommandTableTest, RefusedArgumentsGetTheUsageAndNoHandler) {
  std::vector<std::string> log;
  CommandTable t;
  t.Add("fdb add",
        ArgList().Required("MAC", MacArg()).Keyword("vlan", UintArg("N", 0, 4094)).Required(
            "PORT", WordArg("PORT")),
        "add", Recorder("add", log));
  absl::StatusOr<CommandReply> r = t.Run(Words({"fdb", "add", "nonsense", "p"}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            "\"nonsense\" is not a unicast MAC address; usage: fdb add MAC [vlan N] PORT");
  r = t.Run(Words({"fdb", "add", "02:00:00:00:00:01"}));
  EXPECT_EQ(r.status().message(), "PORT is missing; usage: fdb add MAC [vlan N] PORT");
  EXPECT_TRUE(log.empty());
  ASSERT_TRUE(t.Run(Words({"fdb", "add", "02:00:00:00:00:01", "vlan", "7", "p"})).ok());
  EXPECT_THAT(log, ElementsAre("add"));
}

// A name that names nothing is not a usage problem.
TEST(CommandTableTest, UnknownPortIsNotFoundWithoutUsage) {
  std::vector<std::string> log;
  CommandTable t;
  t.Add("port del", ArgList().Required("NAME", PortNameArg("NAME", [] {
                                         return std::vector<std::string>{"a"};
                                       })),
        "del", Recorder("del", log));
  absl::StatusOr<CommandReply> r = t.Run(Words({"port", "del", "ghost"}));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(r.status().message(), "no port named \"ghost\"");
  EXPECT_TRUE(t.Run(Words({"port", "del", "a"})).ok());
}

}  // namespace
}  // namespace zcswitch
