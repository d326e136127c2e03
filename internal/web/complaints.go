package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"time"

	"github.com/fairdebt/fairdebt/internal/collection"
)

// Complaints in the web UI: the borrower files one in the portal with evidence,
// follows it, rates the response and downloads the receipt; the lender's staff
// handle it; regulators and everyone who reads all cases see it; anyone who sees
// it may print the complaint letter.

// complaintPage is what the complaint pages see, beside page.
type complaintPage struct {
	page
	Complaint  *complaintView
	Complaints []complaintView
	// Categories offered when filing, and the borrower's cases.
	Categories []string
	Cases      []collection.PortalDebt
	// CanHandle offers the staff's actions; CanRate the borrower's rating.
	CanHandle, CanRate bool
	Filter             string
	// The letter: the borrower, the attempts about them, and the lender.
	Borrower string
	Attempts []portalAttempt
}

type complaintView struct {
	*collection.Complaint
	Filed, Due, Escalated string
	Timeline              []eventView
	Back                  string
}

type eventView struct{ At, State, Actor, Note string }

// zoneOf is the time zone a borrower's times are shown in: theirs, or UTC if it
// cannot be loaded.
func zoneOf(name string) *time.Location {
	zone, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC
	}
	return zone
}

// complaintViewOf formats a complaint for a page, times in the complainant's zone.
func complaintViewOf(c *collection.Complaint) complaintView {
	zone := zoneOf(c.Timezone)
	f := func(t time.Time) string { return t.In(zone).Format("2006-01-02 15:04 MST") }
	// A deadline is the end of a day: shown as its last minute, not the next day's 00:00.
	v := complaintView{Complaint: c, Filed: f(c.FiledAt), Due: f(c.DueAt.Add(-time.Minute))}
	if c.EscalatedAt != nil {
		v.Escalated = f(*c.EscalatedAt)
	}
	for _, e := range c.Events {
		v.Timeline = append(v.Timeline, eventView{At: f(e.At), State: e.State, Actor: e.Actor, Note: e.Note})
	}
	return v
}

// fileComplaint files the borrower's complaint from the portal's form, with up
// to five evidence files.
func (s *Server) fileComplaint(w http.ResponseWriter, r *http.Request, p collection.Principal, session string) {
	in := collection.ComplaintInput{CaseID: r.PostFormValue("case_id"), Category: r.PostFormValue("category"), Text: r.PostFormValue("text")}
	files, err := evidenceFiles(r)
	if err != nil {
		s.serviceError(w, r, err)
		return
	}
	in.Evidence = files
	c, err := s.svc.FileComplaint(r.Context(), p, in)
	if err != nil {
		s.serviceError(w, r, err)
		return
	}
	s.log.Info("complaint filed", "complaint", c.ID, "evidence", len(c.Evidence))
	http.Redirect(w, r, "/portal/complaints/"+c.ID, http.StatusSeeOther)
}

// complaintPage shows one complaint: to its borrower (in the portal) or to staff.
func (s *Server) complaintPage(w http.ResponseWriter, r *http.Request, p collection.Principal, session string) {
	c, err := s.svc.Complaint(r.Context(), p, r.PathValue("id"))
	if err != nil {
		s.serviceError(w, r, err)
		return
	}
	loc := s.localizer(r, &p)
	v := complaintViewOf(c)
	v.Back = "/complaints"
	if p.Role == collection.RoleBorrower {
		v.Back = "/portal#complaints"
	}
	s.render(w, r, http.StatusOK, "complaint", &complaintPage{page: page{Title: tr(loc, "complaint.title") + " " + c.ID, User: viewOf(p),
		CSRF: s.svc.CSRFToken(session)}, Complaint: &v, CanHandle: p.Can(collection.ActComplaints) && c.Open(),
		CanRate: p.Role == collection.RoleBorrower && c.State == collection.ComplaintResponded})
}

// complaintAction takes a step on a complaint: the staff's, or the borrower's
// rating.
func (s *Server) complaintAction(w http.ResponseWriter, r *http.Request, p collection.Principal, session string) {
	c, err := s.svc.ComplaintAction(r.Context(), p, r.PathValue("id"), r.PostFormValue("action"), r.PostFormValue("note"))
	if err != nil {
		s.serviceError(w, r, err)
		return
	}
	back := "/complaints/" + c.ID
	if p.Role == collection.RoleBorrower {
		back = "/portal/complaints/" + c.ID
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// complaintList lists complaints for those who read every agency's cases:
// ?filter=open|overdue|escalated.
func (s *Server) complaintList(w http.ResponseWriter, r *http.Request, p collection.Principal, session string) {
	filter := r.URL.Query().Get("filter")
	f := collection.ComplaintFilter{}
	switch filter {
	case "overdue":
		f.Overdue = true
	case "escalated":
		f.Escalated = true
	case "due_soon":
		f.DueSoon = true
	case "":
	default:
		f.State = filter
	}
	list, err := s.svc.Complaints(r.Context(), p, f)
	if err != nil {
		s.serviceError(w, r, err)
		return
	}
	loc := s.localizer(r, &p)
	d := &complaintPage{page: page{Title: tr(loc, "complaints.title"), User: viewOf(p), CSRF: s.svc.CSRFToken(session)}, Filter: filter}
	for i := range list {
		d.Complaints = append(d.Complaints, complaintViewOf(&list[i]))
	}
	s.render(w, r, http.StatusOK, "complaints", d)
}

// complaintReceipt downloads the receipt of a complaint's filing: the JSON that
// `fairdebt audit verify-receipt` checks.
func (s *Server) complaintReceipt(w http.ResponseWriter, r *http.Request, p collection.Principal, session string) {
	rc, err := s.svc.ComplaintReceipt(r.Context(), p, r.PathValue("id"))
	if err != nil {
		s.serviceError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `attachment; filename="receipt-`+url.PathEscape(r.PathValue("id"))+`.json"`)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(rc)
}

// evidence downloads an evidence file, as an attachment that no browser renders
// in the page.
func (s *Server) evidence(w http.ResponseWriter, r *http.Request, p collection.Principal, session string) {
	ev, data, err := s.svc.EvidenceData(r.Context(), p, r.PathValue("id"), r.PathValue("sha"))
	if err != nil {
		s.serviceError(w, r, err)
		return
	}
	sendEvidence(w, ev, data)
}

// letter is the printable complaint letter: the complaint, its timeline, the
// evidence by SHA-256 and every contact attempt about the borrower.
func (s *Server) letter(w http.ResponseWriter, r *http.Request, p collection.Principal, session string) {
	c, err := s.svc.Complaint(r.Context(), p, r.PathValue("id"))
	if err != nil {
		s.serviceError(w, r, err)
		return
	}
	loc := s.localizer(r, &p)
	lang := langOf(r, &p)
	v := complaintViewOf(c)
	d := &complaintPage{page: page{Title: tr(loc, "letter.title") + " " + c.ID, User: viewOf(p), CSRF: s.svc.CSRFToken(session)}, Complaint: &v}
	b, err := s.svc.Borrower(r.Context(), p, c.BorrowerID)
	if err != nil {
		s.serviceError(w, r, err)
		return
	}
	d.Borrower = b.Name
	attempts, err := s.svc.BorrowerAttempts(r.Context(), p, c.BorrowerID)
	if err != nil {
		s.serviceError(w, r, err)
		return
	}
	zone := zoneOf(c.Timezone)
	for _, a := range attempts {
		d.Attempts = append(d.Attempts, attemptRow(a.Attempt, a.PartyName, zone, lang))
	}
	s.render(w, r, http.StatusOK, "letter", d)
}

// portalComplaintForm shows the complaint form.
func (s *Server) portalComplaintForm(w http.ResponseWriter, r *http.Request, p collection.Principal, session string) {
	v, err := s.svc.Portal(r.Context(), p)
	if err != nil {
		s.serviceError(w, r, err)
		return
	}
	loc := s.localizer(r, &p)
	s.render(w, r, http.StatusOK, "complaint_new", &complaintPage{page: page{Title: tr(loc, "complaint.new"), User: viewOf(p),
		CSRF: s.svc.CSRFToken(session)}, Categories: collection.ComplaintCategories, Cases: v.Debts})
}
