// X-lists: a set of named things written once, as a macro LIST(X) whose
// rows are X(id, name, help, ...), from which an enum, its size and its
// tables of names and help are generated, so that no name is spelt twice
// (VPP's foreach_... lists). Columns after `help` belong to the list; the
// column macros below ignore them.
//
//   #define ZCSWITCH_COLOURS(X) X(kRed, "red", "stop") X(kGreen, "green", "go")
//   enum class Colour { ZCSWITCH_COLOURS(ZC_X_ID) };
//   inline constexpr size_t kNumColours = ZC_X_COUNT(ZCSWITCH_COLOURS);
//   inline constexpr absl::string_view kColourNames[] = {ZCSWITCH_COLOURS(ZC_X_NAME)};
#ifndef ZCSWITCH_LIB_BASE_X_LIST_H_
#define ZCSWITCH_LIB_BASE_X_LIST_H_

#define ZC_X_ID(id, name, help, ...) id,
#define ZC_X_NAME(id, name, help, ...) name,
#define ZC_X_HELP(id, name, help, ...) help,

// How many rows LIST has, as a constant expression.
#define ZC_X_COUNT(LIST) (0 LIST(ZC_X_PLUS_ONE))
#define ZC_X_PLUS_ONE(id, ...) +1

#endif  // ZCSWITCH_LIB_BASE_X_LIST_H_
