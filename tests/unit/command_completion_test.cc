#include "lib/cli/command_completion.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/control/command_table.h"

namespace zcswitch {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

CommandCompletion FromTable() {
  CommandTable t;
  const auto none = [](const CommandArgs&) -> absl::StatusOr<CommandReply> {
    return CommandReply{};
  };
  for (const char* words : {"help", "show port stats", "show lcore stats", "show fwd", "show fdb",
                            "shutdown"}) {
    t.Add(words, ArgList(), "", none);
  }
  t.Add("set fwd", ArgList().Required("MODE", ChoiceArg("mode", {"l2switch", "io", "macswap"})),
        "", none);
  t.Add("port add",
        ArgList()
            .Required("SOCKET", WordArg("SOCKET"))
            .Optional("role", ChoiceArg("role", {"client", "server"}))
            .Keyword("queues", UintArg("N", 1, 64))
            .Exclusive({{"vlan", UintArg("N", 1, 4094)}, {"trunk", UintListArg("N,M", 1, 9)}}),
        "", none);
  absl::StatusOr<CommandCompletion> c = CommandCompletion::FromHelp(t.HelpReply().data);
  EXPECT_TRUE(c.ok()) << c.status();
  return *std::move(c);
}

std::vector<std::string> Words(std::initializer_list<const char*> words) {
  return {words.begin(), words.end()};
}

TEST(CommandCompletionTest, FirstWordFromEveryCommand) {
  const CommandCompletion c = FromTable();
  EXPECT_THAT(c.Next({}, ""), ElementsAre("help", "port", "set", "show", "shutdown"));
  EXPECT_THAT(c.Next({}, "sh"), ElementsAre("show", "shutdown"));
  EXPECT_THAT(c.Next({}, "he"), ElementsAre("help"));
}

TEST(CommandCompletionTest, LaterWordsFollowTheWordsTyped) {
  const CommandCompletion c = FromTable();
  EXPECT_THAT(c.Next(Words({"show"}), ""), ElementsAre("fdb", "fwd", "lcore", "port"));
  EXPECT_THAT(c.Next(Words({"show"}), "f"), ElementsAre("fdb", "fwd"));
  EXPECT_THAT(c.Next(Words({"show", "port"}), ""), ElementsAre("stats"));
  EXPECT_THAT(c.Next(Words({"set"}), ""), ElementsAre("fwd"));
}

TEST(CommandCompletionTest, ArgumentsWithChoicesAndKeywords) {
  const CommandCompletion c = FromTable();
  EXPECT_THAT(c.Next(Words({"set", "fwd"}), ""), ElementsAre("io", "l2switch", "macswap"));
  EXPECT_THAT(c.Next(Words({"set", "fwd"}), "ma"), ElementsAre("macswap"));
  EXPECT_THAT(c.Next(Words({"set", "fwd", "io"}), ""), IsEmpty());
  // A free word comes first: nothing to offer for it but the keywords.
  EXPECT_THAT(c.Next(Words({"port", "add"}), ""), ElementsAre("queues", "trunk", "vlan"));
  EXPECT_THAT(c.Next(Words({"port", "add", "/s"}), ""),
              ElementsAre("client", "queues", "server", "trunk", "vlan"));
  EXPECT_THAT(c.Next(Words({"port", "add", "/s", "client", "queues", "2"}), ""),
              ElementsAre("trunk", "vlan"));
  EXPECT_THAT(c.Next(Words({"port", "add", "/s", "queues"}), ""), IsEmpty());
}

TEST(CommandCompletionTest, NothingPastACommandOrForUnknownWords) {
  const CommandCompletion c = FromTable();
  EXPECT_THAT(c.Next(Words({"show", "fwd"}), ""), IsEmpty());
  EXPECT_THAT(c.Next(Words({"frobnicate"}), ""), IsEmpty());
  EXPECT_THAT(c.Next({}, "x"), IsEmpty());
}

TEST(CommandCompletionTest, MalformedHelpIsAnError) {
  EXPECT_FALSE(CommandCompletion::FromHelp(nlohmann::json::object()).ok());
  EXPECT_FALSE(CommandCompletion::FromHelp({{"commands", {{{"words", {1}}}}}}).ok());
  EXPECT_FALSE(CommandCompletion::FromHelp({{"commands", {{{"usage", ""}}}}}).ok());
  EXPECT_FALSE(
      CommandCompletion::FromHelp({{"commands", {{{"words", {"a"}}, {"args", {{{"x", 1}}}}}}}})
          .ok());
}

}  // namespace
}  // namespace zcswitch
