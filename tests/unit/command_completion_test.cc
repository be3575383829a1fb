#include "lib/control/command_completion.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/control/command_table.h"

namespace zcswitch {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

CommandCompletion FromTable() {
  CommandTable t;
  const auto none = [](absl::Span<const std::string>) -> absl::StatusOr<CommandReply> {
    return CommandReply{};
  };
  for (const char* words : {"help", "show port stats", "show lcore stats", "show fwd", "show fdb",
                            "set fwd", "shutdown"}) {
    t.Add(words, "", "", none);
  }
  absl::StatusOr<CommandCompletion> c = CommandCompletion::FromHelp(t.HelpReply().data);
  EXPECT_TRUE(c.ok()) << c.status();
  return *std::move(c);
}

std::vector<std::string> Words(std::initializer_list<const char*> words) {
  return {words.begin(), words.end()};
}

TEST(CommandCompletionTest, FirstWordFromEveryCommand) {
  const CommandCompletion c = FromTable();
  EXPECT_THAT(c.Next({}, ""), ElementsAre("help", "set", "show", "shutdown"));
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
}

}  // namespace
}  // namespace zcswitch
