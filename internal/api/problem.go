package api

import (
	"errors"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/fairdebt/fairdebt/internal/collection"
	"github.com/fairdebt/fairdebt/internal/policy"
)

// Problem is an RFC 9457 problem document, with the reason in Simplified Chinese
// beside the English detail and, when a rule refuses the request, the rule.
type Problem struct {
	Type      string              `json:"type,omitempty" format:"uri"`
	Title     string              `json:"title"`
	Status    int                 `json:"status"`
	Detail    string              `json:"detail"`
	DetailZH  string              `json:"detail_zh,omitempty"`
	Field     string              `json:"field,omitempty" doc:"the request field at fault"`
	Violation *policy.Violation   `json:"violation,omitempty" doc:"the rule that refuses the request"`
	Errors    []*huma.ErrorDetail `json:"errors,omitempty"`
}

// Error returns the detail.
func (p *Problem) Error() string { return p.Detail }

// GetStatus returns the HTTP status.
func (p *Problem) GetStatus() int { return p.Status }

// ContentType makes problems application/problem+json.
func (p *Problem) ContentType(ct string) string {
	if ct == "application/json" {
		return "application/problem+json"
	}
	return ct
}

var zhStatus = map[int]string{
	http.StatusBadRequest:            "请求格式错误",
	http.StatusUnauthorized:          "需要有效的 API 令牌",
	http.StatusForbidden:             "无权执行此操作",
	http.StatusNotFound:              "未找到",
	http.StatusConflict:              "与当前状态冲突",
	http.StatusRequestEntityTooLarge: "请求过大",
	http.StatusUnprocessableEntity:   "请求内容无效",
	http.StatusInternalServerError:   "服务器内部错误",
	http.StatusServiceUnavailable:    "服务暂不可用",
	http.StatusTooManyRequests:       "请求过于频繁，请稍后再试",
}

func newProblem(status int, msg string, errs ...error) huma.StatusError {
	p := &Problem{Status: status, Title: http.StatusText(status), Detail: msg, DetailZH: zhStatus[status]}
	for _, err := range errs {
		if err == nil {
			continue
		}
		var d huma.ErrorDetailer
		if errors.As(err, &d) {
			detail := *d.ErrorDetail()
			// Never echo the input: it may hold a phone or ID number.
			detail.Value = nil
			p.Errors = append(p.Errors, &detail)
		} else {
			p.Errors = append(p.Errors, &huma.ErrorDetail{Message: err.Error()})
		}
	}
	return p
}

func init() {
	huma.NewError = newProblem
}

// problem turns a service error into the problem the client sees. Unexpected errors
// are logged and reported without their text, which may name internals.
func (s *server) problem(err error) error {
	var e *collection.Error
	if errors.As(err, &e) {
		return &Problem{Status: e.Kind.HTTPStatus(), Title: http.StatusText(e.Kind.HTTPStatus()), Detail: e.Error(),
			DetailZH: e.ZH, Field: e.Field, Violation: e.Violation}
	}
	var ie *policy.InputError
	if errors.As(err, &ie) {
		return &Problem{Status: http.StatusUnprocessableEntity, Title: http.StatusText(http.StatusUnprocessableEntity),
			Detail: ie.Error(), DetailZH: zhStatus[http.StatusUnprocessableEntity], Field: ie.Field}
	}
	s.log.Error("request failed", "err", err)
	return newProblem(http.StatusInternalServerError, "internal error; the server log has the details")
}
