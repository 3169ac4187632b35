#pragma once
// EDDY_ASSIGN_OR_RETURN(lhs, expr): evaluates `expr` (an absl::StatusOr<T>); returns its
// status from the enclosing function if it failed, else moves the value into `lhs`
// (a declaration such as `auto x` or an existing variable).

#define EDDY_STATUS_CONCAT_INNER(a, b) a##b
#define EDDY_STATUS_CONCAT(a, b) EDDY_STATUS_CONCAT_INNER(a, b)
#define EDDY_ASSIGN_OR_RETURN(lhs, expr)                                         \
  auto EDDY_STATUS_CONCAT(status_or_, __LINE__) = (expr);                        \
  if (!EDDY_STATUS_CONCAT(status_or_, __LINE__).ok()) {                          \
    return EDDY_STATUS_CONCAT(status_or_, __LINE__).status();                    \
  }                                                                              \
  lhs = std::move(*EDDY_STATUS_CONCAT(status_or_, __LINE__))

// EDDY_RETURN_IF_ERROR(expr): returns `expr` (an absl::Status) if it is not OK.
#define EDDY_RETURN_IF_ERROR(expr)                         \
  do {                                                     \
    absl::Status eddy_status_ = (expr);                    \
    if (!eddy_status_.ok()) return eddy_status_;           \
  } while (false)
