package collection

import "fmt"

// The authorisation layer. Every decision about who may do what is made here, by
// Can (may this principal's role take this action at all?) and sees (may it see
// what belongs to this agency?), for the JSON API and the web UI alike: the
// service's methods ask these two and nothing else.
//
// A principal that may not take an action gets 403. One that may, but asks about
// something of another agency, gets 404, worded as for something that does not
// exist, so that nobody learns what another agency holds.

// Actions.
const (
	// ActManage is the lender's administration: lenders, agencies, borrowers,
	// debts, parties and their contact methods, cases, tokens and users.
	ActManage = "manage"
	// ActReadAll is reading what every agency holds.
	ActReadAll = "read_all"
	// ActProtect is recording what a person asks for on a case one sees: a hold,
	// an opt-out, an objection, a withdrawn consent.
	ActProtect = "protect"
	// ActLift is lifting a hold or an opt-out: the lender's decision.
	ActLift = "lift"
	// ActReopen is reopening a closed or paused case.
	ActReopen = "reopen"
	// ActWork is working cases one sees: contact attempts, outcomes, promises,
	// pausing and closing.
	ActWork = "work"
	// ActAuditEntries is reading the audit log's leaves, which name every
	// agency's cases.
	ActAuditEntries = "audit_entries"
	// ActAssign is putting a case one sees on a collector's worklist.
	ActAssign = "assign"
	// ActUnmask is seeing a phone number, e-mail address or IM id in full. Each
	// time is an audit event.
	ActUnmask = "unmask"
	// ActComplaints is handling borrowers' complaints: acknowledging,
	// investigating, responding, extending the deadline.
	ActComplaints = "complaints"
)

// grants says which actions each role may take.
var grants = map[string]map[string]bool{
	RoleAdmin: {ActManage: true, ActReadAll: true, ActProtect: true, ActLift: true, ActReopen: true, ActWork: true, ActAuditEntries: true,
		ActAssign: true, ActUnmask: true, ActComplaints: true},
	RoleCompliance:    {ActReadAll: true, ActProtect: true, ActLift: true, ActAuditEntries: true, ActUnmask: true, ActComplaints: true},
	RoleRegulator:     {ActReadAll: true, ActAuditEntries: true},
	RoleAgencyManager: {ActProtect: true, ActWork: true, ActAssign: true},
	RoleCollector:     {ActProtect: true, ActWork: true},
	// A borrower protects themself: opt-outs of their own channels, a dispute or
	// a cease request, withdrawing consent they gave for a contact (borrowerOwn).
	RoleBorrower: {ActProtect: true},
}

// borrowerHolds are the holds a borrower may place on themself.
var borrowerHolds = []string{"dispute", "cease"}

// role is the principal's role. Admin marks an administrator whatever Role says;
// an agency's principal without a role acts as the agency, as its tokens do.
func (p Principal) role() string {
	switch {
	case p.Admin:
		return RoleAdmin
	case p.Role == "" && p.AgencyID != "":
		return RoleAgencyManager
	}
	return p.Role
}

// Can reports whether the principal's role may take action.
func (p Principal) Can(action string) bool { return grants[p.role()][action] }

// sees reports whether the principal may see what belongs to agency: everyone's,
// or its own agency's. A borrower sees no agency's things as such, only their own
// (borrowerVisible).
func (p Principal) sees(agency string) bool {
	return p.Can(ActReadAll) || (p.AgencyID != "" && p.AgencyID == agency)
}

// borrower reports whether the principal is a borrower signed in to the portal.
func (p Principal) borrower() bool { return p.role() == RoleBorrower }

// forbidden is the refusal of an action the principal's role may not take.
func forbidden(p Principal, action string) *Error {
	if action == ActManage {
		return errAdminOnly
	}
	role := p.role()
	if role == "" {
		role = "none"
	}
	return &Error{Kind: Forbidden, EN: fmt.Sprintf("the role %s may not do this (%s)", role, action),
		ZH: fmt.Sprintf("角色 %s 无权执行此操作（%s）", role, action)}
}

// need returns forbidden unless the principal may take action.
func need(p Principal, action string) error {
	if !p.Can(action) {
		return forbidden(p, action)
	}
	return nil
}

// collectorScope is, for a collector, the user whose cases alone they see (a value
// no case has if the principal names no user); for everyone else "".
func (p Principal) collectorScope() string {
	if p.role() != RoleCollector {
		return ""
	}
	if p.UserID == "" {
		return "-" // not a user id: no case is assigned to it
	}
	return p.UserID
}

// seesCase reports whether the principal may see a case of agency assigned to
// collector: as sees, and a collector only the cases assigned to them.
func (p Principal) seesCase(agency, collector string) bool {
	if !p.sees(agency) {
		return false
	}
	if cs := p.collectorScope(); cs != "" {
		return collector == cs
	}
	return true
}
