package collection

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/fairdebt/fairdebt/internal/policy"
)

// Kind classifies an Error for the transports (HTTP status, exit code).
type Kind uint8

// The kinds of error.
const (
	Invalid         Kind = iota + 1 // the input is wrong; nothing changed
	NotFound                        // no such thing, or not visible to the caller
	Conflict                        // the request clashes with the current state
	Forbidden                       // the caller may not do this at all
	Unauthenticated                 // the credentials are wrong: who is asking is unknown
	TooMany                         // too many attempts: try again later
	Unavailable                     // the service lacks what the request needs (a gateway)
)

// HTTPStatus is the HTTP status of an error of kind k, for the JSON API and the
// web UI alike (400 for a kind it does not know).
func (k Kind) HTTPStatus() int {
	switch k {
	case Invalid:
		return http.StatusUnprocessableEntity
	case NotFound:
		return http.StatusNotFound
	case Conflict:
		return http.StatusConflict
	case Forbidden:
		return http.StatusForbidden
	case Unauthenticated:
		return http.StatusUnauthorized
	case TooMany:
		return http.StatusTooManyRequests
	case Unavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusBadRequest
}

// Error is a failure the caller can act on, in English and Simplified Chinese.
type Error struct {
	Kind  Kind
	Field string // the input field at fault, if any
	EN    string
	ZH    string
	// Violation is the rule that refuses the request, when one does.
	Violation *policy.Violation
}

func (e *Error) Error() string {
	if e.Field != "" {
		return e.Field + ": " + e.EN
	}
	return e.EN
}

func invalid(field, en, zh string) *Error { return &Error{Kind: Invalid, Field: field, EN: en, ZH: zh} }

// notFound never says whether the thing exists but belongs to someone else.
func notFound(what, id string) *Error {
	return &Error{Kind: NotFound, EN: fmt.Sprintf("%s %q not found", what, id), ZH: fmt.Sprintf("未找到%s %q", zhNames[what], id)}
}

var zhNames = map[string]string{
	"lender": "贷款机构", "agency": "催收机构", "borrower": "借款人", "debt": "债务", "case": "案件",
	"party": "联系人", "attempt": "联系记录", "contact method": "联系方式", "opt-out": "退订记录", "hold": "暂停状态",
	"audit entry": "审计条目", "user": "用户", "promise": "还款承诺", "complaint": "投诉", "evidence": "证据",
}

func conflict(en, zh string) *Error { return &Error{Kind: Conflict, EN: en, ZH: zh} }

var errAdminOnly = &Error{Kind: Forbidden, EN: "only the lender's administrators may do this", ZH: "仅贷款机构管理员可执行此操作"}

// IsKind reports whether err is an *Error of kind k.
func IsKind(err error, k Kind) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == k
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$`)

// checkID validates a caller-chosen id; an empty one is replaced by a new one.
func checkID(field, id, prefix string) (string, error) {
	if id == "" {
		return newID(prefix), nil
	}
	if !idPattern.MatchString(id) {
		return "", invalid(field, "must be 1-64 letters, digits, '_', '.', ':' or '-', starting with a letter or digit",
			"须为 1-64 个字母、数字或 _ . : -，并以字母或数字开头")
	}
	return id, nil
}

func checkText(field, s string, required bool, maxLen int) error {
	switch {
	case required && s == "":
		return invalid(field, "required", "必填")
	case len(s) > maxLen:
		return invalid(field, fmt.Sprintf("longer than %d bytes", maxLen), fmt.Sprintf("超过 %d 字节", maxLen))
	}
	return nil
}

func checkDate(field, s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, invalid(field, "not a date (YYYY-MM-DD)", "不是日期 (YYYY-MM-DD)")
	}
	return t, nil
}

func oneOf(field, s string, allowed ...string) error {
	for _, a := range allowed {
		if s == a {
			return nil
		}
	}
	return invalid(field, fmt.Sprintf("%q is not one of %v", s, allowed), fmt.Sprintf("%q 不在 %v 之中", s, allowed))
}
