#include "core/status.h"

namespace hasteward::core {

namespace {
const std::string& EmptyString() {
  static const std::string kEmpty;
  return kEmpty;
}
}  // namespace

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return "ok";
    case ErrorCode::kInternal: return "internal";
    case ErrorCode::kUsage: return "usage";
    case ErrorCode::kIncompleteInput: return "incomplete-input";
    case ErrorCode::kHealthDegraded: return "degraded";
    case ErrorCode::kSplitBrain: return "split-brain";
    case ErrorCode::kRepoNotFound: return "repository-not-found";
    case ErrorCode::kLocked: return "locked";
    case ErrorCode::kWrongPassword: return "wrong-password";
    case ErrorCode::kCorruption: return "corruption";
    case ErrorCode::kStorage: return "storage";
    case ErrorCode::kNotFound: return "not-found";
    case ErrorCode::kUnreachable: return "unreachable";
    case ErrorCode::kAuthFailed: return "auth-failed";
    case ErrorCode::kDumpFailed: return "dump-failed";
    case ErrorCode::kSafetyStop: return "safety-stop";
    case ErrorCode::kNoDonor: return "no-donor";
    case ErrorCode::kConfirmationRequired: return "confirmation-required";
    case ErrorCode::kTimeout: return "timeout";
    case ErrorCode::kVerifyFailed: return "verify-failed";
    case ErrorCode::kAlreadyExists: return "already-exists";
    case ErrorCode::kNewerData: return "newer-data";
    case ErrorCode::kInterrupted: return "interrupted";
    case ErrorCode::kTerminated: return "terminated";
  }
  return "unknown";
}

Status::Status(ErrorCode code, std::string message, std::string hint)
    : rep_(code == ErrorCode::kOk
               ? nullptr
               : std::make_unique<Rep>(Rep{code, std::move(message), std::move(hint)})) {}

Status::Status(const Status& other)
    : rep_(other.rep_ ? std::make_unique<Rep>(*other.rep_) : nullptr) {}

Status& Status::operator=(const Status& other) {
  if (this != &other) {
    rep_ = other.rep_ ? std::make_unique<Rep>(*other.rep_) : nullptr;
  }
  return *this;
}

const std::string& Status::message() const {
  return rep_ ? rep_->message : EmptyString();
}
const std::string& Status::hint() const {
  return rep_ ? rep_->hint : EmptyString();
}

Status& Status::Wrap(const std::string& context) {
  if (rep_) {
    rep_->message = context + ": " + rep_->message;
  }
  return *this;
}

Status& Status::WithHint(std::string hint) {
  if (rep_) {
    rep_->hint = std::move(hint);
  }
  return *this;
}

Status& Status::SetRetryable(bool retryable) {
  if (rep_) {
    rep_->retryable = retryable;
  }
  return *this;
}

Status& Status::SetDataLoss(bool data_loss) {
  if (rep_) {
    rep_->data_loss = data_loss;
  }
  return *this;
}

std::string Status::ToString() const {
  if (!rep_) {
    return "ok";
  }
  if (rep_->hint.empty()) {
    return rep_->message;
  }
  return rep_->message + "\nHINT: " + rep_->hint;
}

Status Internal(std::string message) {
  return {ErrorCode::kInternal, std::move(message)};
}
Status Usage(std::string message, std::string hint) {
  return {ErrorCode::kUsage, std::move(message), std::move(hint)};
}
Status NotFound(std::string message, std::string hint) {
  return {ErrorCode::kNotFound, std::move(message), std::move(hint)};
}
Status Corruption(std::string message) {
  Status s(ErrorCode::kCorruption, std::move(message));
  s.SetDataLoss();
  return s;
}
Status StorageError(std::string message, bool retryable) {
  Status s(ErrorCode::kStorage, std::move(message));
  s.SetRetryable(retryable);
  return s;
}

}  // namespace hasteward::core
