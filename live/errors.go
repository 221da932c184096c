package live

import (
	"errors"
	"fmt"
	"time"
)

// Error codes. Each is a stable machine-readable string that clients may
// switch on; docs/protocol.md lists them with their HTTP statuses and
// WebSocket meanings.
const (
	EInvalid      = "invalid"            // a field is missing or out of range
	ENotFound     = "not_found"          // the event, room, round, pitch or poll does not exist
	EConflict     = "conflict"           // the change clashes with existing data (e.g. duplicate event code)
	ETransition   = "invalid_transition" // the state machine does not allow this action now
	EVotingClosed = "voting_closed"      // the target does not accept votes now
	EBadValue     = "bad_value"          // the vote value is outside the target's scale or choices
	// EAlreadyAnswered refuses a second answer to a question whose first
	// answer is final (a quiz question).
	EAlreadyAnswered = "already_answered"
	ETimeUp          = "time_up"      // the answer came after the question's time limit
	EUnauthorized    = "unauthorized" // missing, forged or expired credentials
	EForbidden       = "forbidden"    // authenticated, but not allowed to do this
	ERateLimited     = "rate_limited" // too many requests; retry later
	EBusy            = "busy"         // the server is saturated or shutting down; retry later
	EInternal        = "internal"     // anything else; details are logged, not shown
)

// Error is the application's one error type: a machine code and a human
// message safe to show to users. Field names the offending input field, if any.
type Error struct {
	Code    string
	Message string
	Field   string
	// RetryAfter is, for ERateLimited and EBusy, how long to wait before
	// trying again when the refusal knows it (a rate limit's next token);
	// 0 leaves the answer's default (one second over HTTP).
	RetryAfter time.Duration
	// NeedsRole is, for an EForbidden refusal of the team's roles, the
	// least role that may do what was refused.
	NeedsRole string
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("ovation error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns an EInvalid *Error naming the offending field.
func FieldErrorf(field, format string, args ...any) *Error {
	return &Error{Code: EInvalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err if it is (or wraps) an *Error, and
// EInternal otherwise. A nil error has no code.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the human message of err if it is an *Error, and a
// generic message otherwise so that internal details never reach users.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}
