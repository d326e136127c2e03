package web

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/fairdebt/fairdebt/internal/collection"
)

// msgTemplate is a message a collector may start from. Toward anyone but the
// debtor only location templates are offered: they ask the person to pass on a
// request to call back and say nothing about a debt. The reminder of an
// instalment is offered only while one is due (collection.ReminderDue).
type msgTemplate struct {
	ID      string
	Roles   []string // the party roles it may be sent to
	Purpose string   // the attempt's purpose: collect, locate or remind
	ZH, EN  string   // with {name}, {amount}, {dpd}, {lender}
}

var msgTemplates = []msgTemplate{
	{ID: "reminder", Roles: []string{"debtor"}, Purpose: "collect",
		ZH: "{name}您好，您在{lender}的借款 {amount} 已逾期 {dpd} 天，请尽快还款，或回电与我们协商还款方案。",
		EN: "Dear {name}, your loan with {lender} of {amount} is {dpd} days past due. Please repay, or call us back to agree a repayment plan."},
	{ID: "callback", Roles: []string{"debtor"}, Purpose: "collect",
		ZH: "{name}您好，请您方便时回电{lender}，谢谢。",
		EN: "Dear {name}, please call {lender} back when convenient. Thank you."},
	{ID: "instalment", Roles: []string{"debtor"}, Purpose: "remind",
		ZH: "{name}您好，提醒您：按您与{lender}约定的还款计划，下一期还款即将到期或已到期，请按时还款。谢谢。",
		EN: "Dear {name}, a reminder: the next instalment of the repayment plan you agreed with {lender} is due. Thank you."},
	{ID: "locate", Roles: []string{"emergency_contact", "third_party"}, Purpose: "locate",
		ZH: "您好，我们想联系{name}，如方便请转告其回电，谢谢。",
		EN: "Hello, we are trying to reach {name}. If you can, please ask them to call us back. Thank you."},
}

// templatesFor returns the templates that may be sent to a party of role.
func templatesFor(role string) []msgTemplate {
	var out []msgTemplate
	for _, t := range msgTemplates {
		if slices.Contains(t.Roles, role) {
			out = append(out, t)
		}
	}
	return out
}

type composePage struct {
	casePage
	Party     partyView
	Templates []string
	Template  string
	Purpose   string
	Message   string
	Findings  []string
}

// compose shows the message composer for one person of a case: the templates
// allowed toward them, the filled message, and what the screener finds in it (as
// the page loads, and as it is edited).
func (s *Server) compose(w http.ResponseWriter, r *http.Request, p collection.Principal, session string) {
	ctx := r.Context()
	c, err := s.svc.Case(ctx, p, r.PathValue("id"))
	if err != nil {
		s.serviceError(w, r, err)
		return
	}
	pt, err := s.svc.Party(ctx, p, r.URL.Query().Get("party"))
	if err != nil || pt.BorrowerID != c.BorrowerID {
		s.notFound(w, r)
		return
	}
	row, debtor, _, err := s.row(r, p, *c)
	if err != nil {
		s.serviceError(w, r, err)
		return
	}
	lender, err := s.svc.CaseLenderName(ctx, p, c.ID)
	if err != nil {
		s.serviceError(w, r, err)
		return
	}
	lang := langOf(r, &p)
	loc := s.localizer(r, &p)
	data := &composePage{casePage: casePage{page: page{Title: tr(loc, "compose.title"), User: viewOf(p), CSRF: s.svc.CSRFToken(session)},
		Case: row, CanWork: p.Can(collection.ActWork) && c.Status == collection.CaseOpen},
		Party: partyView{ID: pt.ID, Name: pt.Name, Role: pt.Role}}
	allowed := templatesFor(pt.Role)
	due, err := s.svc.ReminderDue(ctx, p, c.ID)
	if err != nil {
		s.serviceError(w, r, err)
		return
	}
	if !due {
		allowed = slices.DeleteFunc(allowed, func(t msgTemplate) bool { return t.Purpose == "remind" })
	}
	for _, t := range allowed {
		data.Templates = append(data.Templates, t.ID)
	}
	if len(allowed) == 0 {
		s.serviceError(w, r, &collection.Error{Kind: collection.Forbidden, EN: "no message may be sent to a person in this role",
			ZH: "不得向该身份的人员发送消息"})
		return
	}
	chosen := allowed[0]
	for _, t := range allowed {
		if t.ID == r.URL.Query().Get("template") {
			chosen = t
		}
	}
	text := chosen.ZH
	if lang == "en" {
		text = chosen.EN
	}
	data.Template, data.Purpose = chosen.ID, chosen.Purpose
	data.Message = strings.NewReplacer("{name}", debtor.Name, "{amount}", row.Outstanding, "{dpd}", strconv.Itoa(row.DaysPastDue),
		"{lender}", lender).Replace(text)
	if data.Findings, err = s.svc.ScreenMessage(ctx, p, c.ID, pt.ID, data.Message); err != nil {
		s.serviceError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "compose", data)
}

// screenText answers the composer's live check: the categories the borrower's
// pack would weigh in the text toward the party, as JSON.
func (s *Server) screenText(w http.ResponseWriter, r *http.Request, p collection.Principal, session string) {
	text := r.PostFormValue("text")
	if len(text) > 16<<10 {
		http.Error(w, "text too long", http.StatusRequestEntityTooLarge)
		return
	}
	cats, err := s.svc.ScreenMessage(r.Context(), p, r.PostFormValue("case_id"), r.PostFormValue("party_id"), text)
	if err != nil {
		status := http.StatusInternalServerError
		if collection.IsKind(err, collection.NotFound) {
			status = http.StatusNotFound
		}
		http.Error(w, http.StatusText(status), status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"categories": cats})
}
