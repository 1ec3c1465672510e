// core: the small base every layer stands on — errors as values (Status, Result<T>), the stable
// error-code table that becomes the process exit code, clock, subprocesses, temp directories, file
// descriptors, byte streams and logging. It depends on the C++ standard library and OpenSSL only
// and must never include any other HASteward layer.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace hasteward::core {

// Stable error codes. The numeric value is the process exit code (docs/exit-codes.md); never
// renumber. Values 10-12 match restic's own exit codes so scripts written for restic keep working.
enum class ErrorCode : int {
  kOk = 0,
  kInternal = 1,         // a bug or an unclassified failure
  kUsage = 2,            // bad flags or arguments
  kIncompleteInput = 3,  // the input stream or dump producer failed; nothing was saved
  kHealthDegraded = 4,   // triage: cluster works but something is unhealthy
  kSplitBrain = 5,       // triage/repair: diverged instances detected
  kRepoNotFound = 10,    // no repository at the given location
  kLocked = 11,          // repository locked by another live process
  kWrongPassword = 12,   // no key in the repository opens with this password
  kCorruption = 13,      // repository data failed verification
  kStorage = 14,         // backend I/O failure (disk full, network, permissions)
  kNotFound = 20,        // snapshot, cluster, instance or object does not exist
  kUnreachable = 21,     // a database instance or server cannot be reached
  kAuthFailed = 22,      // database credentials rejected
  kDumpFailed = 23,      // dump or restore tool failed
  kSafetyStop = 24,      // a safety gate refused the operation (no override, or --force needed)
  kNoDonor = 25,         // repair aborted: no healthy donor
  kConfirmationRequired = 26,  // destructive action needs an explicit confirmation flag
  kTimeout = 27,               // a bounded operation ran out of time
  kVerifyFailed = 28,          // restore verification failed
  kAlreadyExists = 29,         // target already exists (e.g. repo init on an existing repository)
  kNewerData = 30,     // a destructive step would discard data newer than what replaces it, or data
                       // whose position is unknown; nothing was changed
  kInterrupted = 130,  // stopped by SIGINT (128 + 2)
  kTerminated = 143,   // stopped by SIGTERM (128 + 15)
};

// Short lowercase name of a code ("wrong-password"), used in JSON output.
const char* ErrorCodeName(ErrorCode code);

// An error (or success) value. An OK status holds no allocation. Messages are lowercase, without
// a final period, with names in quotes; the hint says what the user should do next.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message, std::string hint = {});

  static Status Ok() { return {}; }

  bool ok() const { return rep_ == nullptr; }
  ErrorCode code() const { return rep_ ? rep_->code : ErrorCode::kOk; }
  const std::string& message() const;
  const std::string& hint() const;
  bool retryable() const { return rep_ && rep_->retryable; }
  bool data_loss() const { return rep_ && rep_->data_loss; }

  // Adds outer context: "load index 'ab12': <message>". Returns *this for chaining.
  Status& Wrap(const std::string& context);
  Status& WithHint(std::string hint);
  Status& SetRetryable(bool retryable = true);
  Status& SetDataLoss(bool data_loss = true);

  // "message" plus "\nHINT: hint" when a hint is present.
  std::string ToString() const;

  Status(const Status& other);
  Status& operator=(const Status& other);
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;
  ~Status() = default;

 private:
  struct Rep {
    ErrorCode code;
    std::string message;
    std::string hint;
    bool retryable = false;
    bool data_loss = false;
  };
  std::unique_ptr<Rep> rep_;
};

// Convenience constructors, one per common code.
Status Internal(std::string message);
Status Usage(std::string message, std::string hint = {});
Status NotFound(std::string message, std::string hint = {});
Status Corruption(std::string message);
Status StorageError(std::string message, bool retryable = false);

// A value or an error. Holding an OK status is not allowed.
template <typename T>
class [[nodiscard]] Result {
 public:
  // Implicit on purpose: `return value;` and `return status;` both make a Result.
  // NOLINTNEXTLINE(google-explicit-constructor): see above
  Result(T value) : v_(std::move(value)) {}
  // NOLINTNEXTLINE(google-explicit-constructor): see above
  Result(Status status) : v_(std::move(status)) {
    if (std::get<Status>(v_).ok()) {
      v_ = Status(ErrorCode::kInternal, "result constructed from an ok status");
    }
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(v_);
  }
  Status TakeStatus() { return ok() ? Status() : std::move(std::get<Status>(v_)); }

  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace hasteward::core

#define HS_CONCAT_INNER(a, b) a##b
#define HS_CONCAT(a, b) HS_CONCAT_INNER(a, b)

// Returns the status from the enclosing function if `expr` (a Status) is not ok.
#define HS_TRY(expr)                                   \
  do {                                                 \
    ::hasteward::core::Status hs_try_status_ = (expr); \
    if (!hs_try_status_.ok())                          \
      return hs_try_status_;                           \
  } while (0)

// NOLINTBEGIN(bugprone-macro-parentheses): `tmp` names a variable and `lhs` is a declaration
// ("auto x"); neither can be parenthesized.
#define HS_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok())                                 \
    return tmp.TakeStatus();                     \
  lhs = std::move(tmp).value()
// NOLINTEND(bugprone-macro-parentheses)

// `HS_ASSIGN_OR_RETURN(auto x, ComputeX());` declares x or returns the error.
#define HS_ASSIGN_OR_RETURN(lhs, expr) \
  HS_ASSIGN_OR_RETURN_IMPL(HS_CONCAT(hs_result_, __LINE__), lhs, expr)
