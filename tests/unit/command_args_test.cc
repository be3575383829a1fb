// The typed command grammar: each argument type parses and refuses, usage is
// generated from the declaration, and positionals, optionals, keywords and
// exclusive keywords combine as commands need.
#include "lib/control/command_args.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace zcswitch {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::string> Words(std::initializer_list<const char*> words) {
  return {words.begin(), words.end()};
}

std::string ErrorOf(const ArgList& args, std::initializer_list<const char*> words) {
  absl::StatusOr<CommandArgs> parsed = args.Parse(Words(words));
  if (parsed.ok()) return "ok";
  return std::string(parsed.status().message());
}

TEST(CommandArgsTest, EachTypeParsesItsWords) {
  const ArgList args = ArgList()
                           .Required("W", WordArg("W"))
                           .Required("U", UintArg("N", 2, 9))
                           .Required("M", MacArg())
                           .Required("C", ChoiceArg("colour", {"red", "blue"}))
                           .Required("L", UintListArg("N,M...", 1, 4094));
  absl::StatusOr<CommandArgs> a =
      args.Parse(Words({"x", "9", "02:00:00:00:00:0a", "blue", "10,20,30"}));
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->Word("W"), "x");
  EXPECT_EQ(a->Uint("U"), 9u);
  EXPECT_EQ(a->Mac("M").ToString(), "02:00:00:00:00:0a");
  EXPECT_EQ(a->Word("C"), "blue");
  EXPECT_THAT(a->UintList("L"), ElementsAre(10, 20, 30));
}

TEST(CommandArgsTest, EachTypeRefusesWhatIsNotOneOfIts) {
  EXPECT_EQ(ErrorOf(ArgList().Required("W", WordArg("W")), {""}), "W is empty");
  const ArgList uint = ArgList().Required("count", UintArg("N", 2, 9));
  for (const char* bad : {"1", "10", "-1", "x", "2x", ""}) {
    EXPECT_EQ(ErrorOf(uint, {bad}), "count needs a number from 2 to 9") << bad;
  }
  const ArgList mac = ArgList().Required("MAC", MacArg());
  for (const char* bad : {"01:00:5e:00:00:01", "00:00:00:00:00:00", "nonsense"}) {
    EXPECT_THAT(ErrorOf(mac, {bad}), HasSubstr("is not a unicast MAC address")) << bad;
  }
  EXPECT_EQ(ErrorOf(ArgList().Required("MODE", ChoiceArg("mode", {"a", "b", "c"})), {"d"}),
            "unknown mode \"d\" (expected a, b or c)");
  const ArgList list = ArgList().Required("trunk", UintListArg("N,M...", 1, 4094));
  EXPECT_EQ(ErrorOf(list, {"10,10"}), "trunk: 10 listed twice");
  EXPECT_EQ(ErrorOf(list, {"10,x"}), "trunk: \"x\" is not a number from 1 to 4094");
  EXPECT_EQ(ErrorOf(list, {"4095"}), "trunk: \"4095\" is not a number from 1 to 4094");
}

TEST(CommandArgsTest, PortNamesAreAskedAtEachParse) {
  std::vector<std::string> ports = {"a"};
  const ArgList one = ArgList().Required("NAME", PortNameArg("NAME", [&] { return ports; }));
  const ArgList any = ArgList().Optional("NAME", PortNameArg("NAME", [&] { return ports; }, true));
  EXPECT_EQ(ErrorOf(one, {"a"}), "ok");
  EXPECT_EQ(ErrorOf(one, {"all"}), "no port named \"all\"");
  EXPECT_EQ(one.Parse(Words({"b"})).status().code(), absl::StatusCode::kNotFound);
  ports.push_back("b");
  EXPECT_EQ(ErrorOf(one, {"b"}), "ok");
  EXPECT_EQ(ErrorOf(any, {"all"}), "ok");
  EXPECT_EQ(ErrorOf(any, {}), "ok");
  // A free port id's empty name is no port's name.
  ports.push_back("");
  EXPECT_EQ(ErrorOf(one, {""}), "no port named \"\"");
}

TEST(CommandArgsTest, UsageComesFromTheDeclaration) {
  EXPECT_EQ(ArgList().Usage(), "");
  EXPECT_EQ(ArgList()
                .Required("MAC", MacArg())
                .Keyword("vlan", UintArg("N", 0, 4094))
                .Required("PORT", WordArg("PORT"))
                .Usage(),
            "MAC [vlan N] PORT");
  EXPECT_EQ(ArgList()
                .Required("SOCKET", WordArg("SOCKET"))
                .Optional("role", ChoiceArg("role", {"client", "server"}))
                .Keyword("queues", UintArg("N", 1, 64))
                .Exclusive({{"vlan", UintArg("N", 1, 4094)},
                            {"trunk", UintListArg("N,M...", 1, 4094)}})
                .Usage(),
            "SOCKET [client|server] [queues N] [vlan N | trunk N,M...]");
  EXPECT_EQ(ArgList().Rest("WORDS", "[WORD...]").Usage(), "[WORD...]");
}

TEST(CommandArgsTest, KeywordsGoAnywhereAndOnlyOnce) {
  const ArgList args =
      ArgList().Required("MAC", MacArg()).Keyword("vlan", UintArg("N", 0, 4094)).Required(
          "PORT", WordArg("PORT"));
  absl::StatusOr<CommandArgs> a = args.Parse(Words({"02:00:00:00:00:01", "vlan", "5", "p"}));
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->Uint("vlan"), 5u);
  EXPECT_EQ(a->Word("PORT"), "p");
  a = args.Parse(Words({"02:00:00:00:00:01", "p", "vlan", "6"}));
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->Uint("vlan"), 6u);
  a = args.Parse(Words({"02:00:00:00:00:01", "p"}));
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE(a->Has("vlan"));
  EXPECT_EQ(ErrorOf(args, {"02:00:00:00:00:01", "p", "vlan"}), "vlan needs a value (N)");
  // Given once, "vlan" is a word like any other: here, one too many.
  EXPECT_EQ(ErrorOf(args, {"02:00:00:00:00:01", "vlan", "1", "p", "vlan", "2"}),
            "unexpected \"vlan\"");
  EXPECT_EQ(ErrorOf(args, {"02:00:00:00:00:01"}), "PORT is missing");
  EXPECT_EQ(ErrorOf(args, {"02:00:00:00:00:01", "p", "q"}), "unexpected \"q\"");
}

TEST(CommandArgsTest, AKeywordWithoutValueFillsAMissingPositional) {
  const ArgList args =
      ArgList().Required("DEVARGS", WordArg("DEVARGS")).Keyword("queues", UintArg("N", 1, 64));
  absl::StatusOr<CommandArgs> a = args.Parse(Words({"queues"}));
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->Word("DEVARGS"), "queues");
  EXPECT_EQ(ErrorOf(args, {"x", "queues"}), "queues needs a value (N)");
}

TEST(CommandArgsTest, ExclusiveKeywordsRefuseEachOther) {
  const ArgList args = ArgList().Exclusive(
      {{"vlan", UintArg("N", 1, 4094)}, {"trunk", UintListArg("N,M...", 1, 4094)}});
  EXPECT_EQ(ErrorOf(args, {"vlan", "10"}), "ok");
  EXPECT_EQ(ErrorOf(args, {"trunk", "10,20"}), "ok");
  EXPECT_EQ(ErrorOf(args, {"vlan", "10", "trunk", "20"}), "vlan and trunk cannot both be given");
  EXPECT_EQ(ErrorOf(args, {"trunk", "20", "vlan", "10"}), "trunk and vlan cannot both be given");
}

TEST(CommandArgsTest, OptionalChoiceTakesOnlyItsWords) {
  const ArgList args = ArgList()
                           .Required("SOCKET", WordArg("SOCKET"))
                           .Optional("role", ChoiceArg("role", {"client", "server"}))
                           .Keyword("queues", UintArg("N", 1, 64));
  absl::StatusOr<CommandArgs> a = args.Parse(Words({"/s", "client", "queues", "2"}));
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->Word("role"), "client");
  a = args.Parse(Words({"/s", "queues", "2"}));
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_FALSE(a->Has("role"));
  EXPECT_EQ(ErrorOf(args, {"/s", "speed"}), "unexpected \"speed\"");
}

TEST(CommandArgsTest, RestTakesEveryWordLeft) {
  const ArgList args = ArgList().Required("NAME", WordArg("NAME")).Rest("WORDS", "ARG...");
  absl::StatusOr<CommandArgs> a = args.Parse(Words({"n", "x", "vlan", "3"}));
  ASSERT_TRUE(a.ok());
  EXPECT_THAT(a->Rest("WORDS"), ElementsAre("x", "vlan", "3"));
  a = args.Parse(Words({"n"}));
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->Rest("WORDS").empty());
}

TEST(CommandArgsTest, AppendKeepsGroupsApart) {
  const ArgList vlans = ArgList().Exclusive(
      {{"vlan", UintArg("N", 1, 4094)}, {"trunk", UintListArg("N,M...", 1, 4094)}});
  const ArgList speeds =
      ArgList().Exclusive({{"fast", UintArg("N", 1, 9)}, {"slow", UintArg("N", 1, 9)}});
  ArgList both = ArgList().Append(vlans).Append(speeds);
  EXPECT_EQ(ErrorOf(both, {"vlan", "1", "fast", "2"}), "ok");
  EXPECT_EQ(ErrorOf(both, {"fast", "1", "slow", "2"}), "fast and slow cannot both be given");
  EXPECT_EQ(both.Usage(), "[vlan N | trunk N,M...] [fast N | slow N]");
}

TEST(CommandArgsTest, DescribeGivesClientsNamesFormsAndChoices) {
  const nlohmann::json d = ArgList()
                               .Required("MODE", ChoiceArg("mode", {"io", "macswap"}))
                               .Keyword("vlan", UintArg("N", 0, 4094))
                               .Describe();
  EXPECT_EQ(d, nlohmann::json::parse(R"([
      {"name": "MODE", "metavar": "io|macswap", "form": "required", "choices": ["io", "macswap"]},
      {"name": "vlan", "metavar": "N", "form": "keyword", "choices": []}])"));
}

}  // namespace
}  // namespace zcswitch
