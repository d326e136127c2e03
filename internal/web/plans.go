package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/fairdebt/fairdebt/internal/collection"
)

// Repayment plans in the web UI: the borrower proposes one and answers a
// counter-proposal in the portal; those who work the case accept, counter or
// decline it and record its payments on the case page.

// planView is a plan as the portal and the case page show it.
type planView struct {
	collection.Plan
	MonthlyText string
	Schedule    []installmentView
	Unpaid      []int // indexes of unpaid instalments
}

func planViews(plans []collection.Plan, currency func(debtID string) string) []planView {
	var out []planView
	for _, pl := range plans {
		cur := currency(pl.DebtID)
		v := planView{Plan: pl, MonthlyText: money(pl.Monthly, cur)}
		for i, in := range pl.Instalments {
			v.Schedule = append(v.Schedule, installmentView{DueDate: in.DueDate, Amount: money(in.Amount, cur), Paid: money(in.Paid, cur)})
			if in.Paid < in.Amount {
				v.Unpaid = append(v.Unpaid, i)
			}
		}
		out = append(out, v)
	}
	return out
}

// planInput reads a plan's terms from a form: monthly (in the currency's
// units), first (a date), note.
func planInput(r *http.Request) (collection.PlanInput, error) {
	monthly, ok := minorUnits(strings.TrimSpace(r.PostFormValue("monthly")))
	if !ok {
		return collection.PlanInput{}, &collection.Error{Kind: collection.Invalid, Field: "monthly",
			EN: "must be a positive amount with at most two decimals, such as 500.00", ZH: "须为正数金额，最多两位小数，如 500.00"}
	}
	return collection.PlanInput{DebtID: r.PostFormValue("debt_id"), Monthly: monthly, First: r.PostFormValue("first"),
		Note: strings.TrimSpace(r.PostFormValue("note"))}, nil
}

// proposePlan records the borrower's proposal.
func (s *Server) proposePlan(w http.ResponseWriter, r *http.Request, p collection.Principal, session string) {
	in, err := planInput(r)
	if err == nil {
		_, err = s.svc.ProposePlan(r.Context(), p, in)
	}
	if err != nil {
		s.serviceError(w, r, err)
		return
	}
	http.Redirect(w, r, "/portal?done=plan#plans", http.StatusSeeOther)
}

// portalPlanAction is the borrower's answer: accept or decline a counter,
// withdraw a proposal.
func (s *Server) portalPlanAction(w http.ResponseWriter, r *http.Request, p collection.Principal, session string) {
	if _, err := s.svc.PlanAction(r.Context(), p, r.PathValue("id"), r.PostFormValue("action"), nil); err != nil {
		s.serviceError(w, r, err)
		return
	}
	http.Redirect(w, r, "/portal#plans", http.StatusSeeOther)
}

// planAction is the lender side's answer: accept, counter (with terms) or
// decline; back to the case.
func (s *Server) planAction(w http.ResponseWriter, r *http.Request, p collection.Principal, session string) {
	var counter *collection.PlanInput
	action := r.PostFormValue("action")
	if action == collection.PlanActionCounter {
		in, err := planInput(r)
		if err != nil {
			s.serviceError(w, r, err)
			return
		}
		counter = &in
	}
	if _, err := s.svc.PlanAction(r.Context(), p, r.PathValue("id"), action, counter); err != nil {
		s.serviceError(w, r, err)
		return
	}
	s.backToCase(w, r, "#plans")
}

// planPaid records a plan's instalment as paid.
func (s *Server) planPaid(w http.ResponseWriter, r *http.Request, p collection.Principal, session string) {
	i, err := strconv.Atoi(r.PostFormValue("instalment"))
	if err != nil {
		i = -1
	}
	if _, err := s.svc.PayInstalment(r.Context(), p, r.PathValue("id"), i); err != nil {
		s.serviceError(w, r, err)
		return
	}
	s.backToCase(w, r, "#plans")
}

// backToCase sends the browser to the case the form came from (a field), at
// anchor, else home.
func (s *Server) backToCase(w http.ResponseWriter, r *http.Request, anchor string) {
	back := "/home"
	if id := r.PostFormValue("case_id"); caseIDPattern.MatchString(id) {
		back = "/cases/" + id + anchor
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}
