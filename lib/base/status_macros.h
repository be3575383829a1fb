// Early-return helpers for absl::Status and absl::StatusOr, as used across
// zcswitch's control paths (the data path never returns a Status).
#ifndef ZCSWITCH_LIB_BASE_STATUS_MACROS_H_
#define ZCSWITCH_LIB_BASE_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define ZC_STATUS_CONCAT_INNER_(a, b) a##b
#define ZC_STATUS_CONCAT_(a, b) ZC_STATUS_CONCAT_INNER_(a, b)

// Returns the status of `expr` from the calling function if it is not OK.
#define ZC_RETURN_IF_ERROR(expr)             \
  do {                                       \
    const absl::Status zc_status_ = (expr);  \
    if (!zc_status_.ok()) return zc_status_; \
  } while (0)

// Assigns the value of StatusOr `expr` to `lhs`, or returns its status.
#define ZC_ASSIGN_OR_RETURN(lhs, expr) \
  ZC_ASSIGN_OR_RETURN_IMPL_(ZC_STATUS_CONCAT_(zc_statusor_, __LINE__), lhs, expr)

#define ZC_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = *std::move(tmp)

#endif  // ZCSWITCH_LIB_BASE_STATUS_MACROS_H_
