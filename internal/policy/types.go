// Package policy is fairdebt's compliance gate: rule packs and the pure function
// that decides whether one proposed contact is lawful.
//
//	Decision = Evaluate(Pack, Snapshot, Attempt)
//
// The package does no I/O and reads no clock: the time of the attempt and all the
// state the rules need come in as arguments, so a decision can be replayed exactly.
package policy

import (
	"fmt"
	"strings"
	"time"
)

// Category is one stable violation category; the names are the public contract of a
// decision.
const (
	CatQuietHours           = "quiet_hours"
	CatFrequency            = "frequency"
	CatPostConversation     = "post_conversation"
	CatThirdParty           = "third_party"
	CatThirdPartyDisclosure = "third_party_disclosure"
	CatThirdPartyRepeat     = "third_party_repeat"
	CatOptOut               = "opt_out"
	CatStatusHold           = "status_hold"
	CatProhibitedContent    = "prohibited_content"
	CatChannelForbidden     = "channel_forbidden"
	CatIdentity             = "identity"
	CatVisit                = "visit"
	CatDataMinimization     = "data_minimization"
)

// Categories lists every violation category in a stable order.
var Categories = []string{
	CatQuietHours, CatFrequency, CatPostConversation, CatThirdParty, CatThirdPartyDisclosure,
	CatThirdPartyRepeat, CatOptOut, CatStatusHold, CatProhibitedContent, CatChannelForbidden,
	CatIdentity, CatVisit, CatDataMinimization,
}

// enum is the name table of a small enumeration whose zero value means "none".
type enum []string

func (e enum) name(v uint8) string {
	if int(v) < len(e) && v != 0 {
		return e[v]
	}
	return fmt.Sprintf("invalid(%d)", v)
}

func (e enum) parse(kind, s string) (uint8, error) {
	for i := 1; i < len(e); i++ {
		if e[i] == s {
			return uint8(i), nil
		}
	}
	return 0, fmt.Errorf("unknown %s %q (want one of: %s)", kind, s, strings.Join(e[1:], ", "))
}

// Channel is how a contact is made.
type Channel uint8

// The channels.
const (
	Call Channel = iota + 1
	SMS
	IM
	Email
	Letter
	Visit
	SocialPost
)

var channelNames = enum{"", "call", "sms", "im", "email", "letter", "visit", "social_post"}

func (c Channel) String() string { return channelNames.name(uint8(c)) }

// ParseChannel parses a channel name.
func ParseChannel(s string) (Channel, error) {
	v, err := channelNames.parse("channel", s)
	return Channel(v), err
}

// Role is a party's relation to the debt.
type Role uint8

// The roles. A person the snapshot does not know is treated as a ThirdParty.
const (
	Debtor Role = iota + 1
	Attorney
	EmergencyContact
	ThirdParty
)

var roleNames = enum{"", "debtor", "attorney", "emergency_contact", "third_party"}

func (r Role) String() string { return roleNames.name(uint8(r)) }

// ParseRole parses a role name.
func ParseRole(s string) (Role, error) {
	v, err := roleNames.parse("role", s)
	return Role(v), err
}

// Hold is a status of the debtor or the debt that may stop contact.
type Hold uint8

// The holds.
const (
	HoldDispute Hold = iota + 1
	HoldCease
	HoldAttorney
	HoldDeceased
	HoldBankrupt
	HoldHospitalized
	HoldPlanActive
	HoldPaid
)

var holdNames = enum{"", "dispute", "cease", "attorney", "deceased", "bankrupt", "hospitalized", "plan_active", "paid"}

func (h Hold) String() string { return holdNames.name(uint8(h)) }

// ParseHold parses a hold name.
func ParseHold(s string) (Hold, error) {
	v, err := holdNames.parse("hold", s)
	return Hold(v), err
}

// Result is what happened when a contact was made. The zero value, Pending, means no
// outcome has been recorded yet; the rules treat it fail-closed (it counts as made
// and as connected for caps, and never as a failure to reach the debtor).
type Result uint8

// The results.
const (
	Pending Result = iota
	Connected
	NoAnswer
	Busy
	Voicemail
	InvalidNumber
	Failed
	Delivered
	Replied
)

var resultNames = enum{"pending", "connected", "no_answer", "busy", "voicemail", "invalid_number", "failed", "delivered", "replied"}

func (r Result) String() string {
	if int(r) < len(resultNames) {
		return resultNames[r]
	}
	return fmt.Sprintf("invalid(%d)", r)
}

// ParseResult parses a result name; "pending" is the zero value.
func ParseResult(s string) (Result, error) {
	if s == "pending" {
		return Pending, nil
	}
	v, err := resultNames.parse("result", s)
	return Result(v), err
}

// Purpose is why a contact is made.
type Purpose uint8

// The purposes. Remind is a reminder to the debtor of an instalment due under a
// repayment plan they agreed; a pack may let it through where it stops
// collection (a rule's purposes filter), and the collection service accepts it
// only while an instalment is due.
const (
	Collect Purpose = iota + 1
	Locate
	Remind
)

var purposeNames = enum{"", "collect", "locate", "remind"}

func (p Purpose) String() string { return purposeNames.name(uint8(p)) }

// ParsePurpose parses a purpose name.
func ParsePurpose(s string) (Purpose, error) {
	v, err := purposeNames.parse("purpose", s)
	return Purpose(v), err
}

// set is a bit set over a small enumeration.
type set uint16

func (s set) has(v uint8) bool { return s&(1<<v) != 0 }

// HoldSet is a set of holds.
type HoldSet uint16

// Has reports whether h is in the set.
func (s HoldSet) Has(h Hold) bool { return set(s).has(uint8(h)) }

// With returns the set with h added.
func (s HoldSet) With(h Hold) HoldSet { return s | 1<<h }

// Names returns the holds in the set, in stable order.
func (s HoldSet) Names() []string {
	out := []string{}
	for h := HoldDispute; h <= HoldPaid; h++ {
		if s.Has(h) {
			out = append(out, h.String())
		}
	}
	return out
}

// DebtorInfo describes the person who owes the debt.
type DebtorInfo struct {
	ID       string
	Location *time.Location // the debtor's IANA time zone; days and hours are counted here
	Holds    HoldSet
	// Inconvenient are the times of day the debtor said are inconvenient for
	// them (at work, asleep on a night shift), in their own time zone.
	Inconvenient []TimeWindow
}

// TimeWindow is a span of the day, from Start to End minutes after midnight; a
// window whose End is not after its Start runs past midnight.
type TimeWindow struct{ Start, End int }

// Contains reports whether minute (after midnight) falls in the window.
func (w TimeWindow) Contains(minute int) bool {
	if w.Start < w.End {
		return minute >= w.Start && minute < w.End
	}
	return minute >= w.Start || minute < w.End
}

// ParseTimeWindow reads "HH:MM-HH:MM".
func ParseTimeWindow(s string) (TimeWindow, error) {
	a, b, ok := strings.Cut(s, "-")
	start, err1 := parseClock(strings.TrimSpace(a))
	end, err2 := parseClock(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil || start == end {
		return TimeWindow{}, fmt.Errorf("%q is not a span of the day such as 12:00-13:30", s)
	}
	return TimeWindow{start, end}, nil
}

func (w TimeWindow) String() string {
	return fmt.Sprintf("%02d:%02d-%02d:%02d", w.Start/60, w.Start%60, w.End/60, w.End%60)
}

func parseClock(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil || len(s) != 5 {
		return 0, fmt.Errorf("%q is not a time of day HH:MM", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// Party is a person the case knows about.
type Party struct {
	ID       string
	Role     Role
	Consent  bool // a recorded consent to be contacted (emergency contacts)
	Objected bool // the person asked not to be contacted again
	Relation string
}

// OptOut is a person's request not to be contacted on one channel.
type OptOut struct {
	Party   string
	Channel Channel
}

// Contact is one earlier contact attempt that was made (allowed and placed).
type Contact struct {
	At      time.Time
	Party   string
	Channel Channel
	Result  Result
}

// Snapshot is everything the rules know about a case at decision time.
type Snapshot struct {
	Debtor  DebtorInfo
	Parties []Party
	OptOuts []OptOut
	History []Contact
}

// Attempt is one proposed contact.
type Attempt struct {
	Party              string
	Channel            Channel
	At                 time.Time
	Purpose            Purpose
	Message            string
	Collectors         int
	CallerIDRegistered bool
}

// Reason is a user-facing explanation in Simplified Chinese and English.
type Reason struct {
	ZH string `json:"zh"`
	EN string `json:"en"`
}

// Violation is one rule an attempt breaks.
type Violation struct {
	Rule     string `json:"rule"`
	Category string `json:"category"`
	Citation string `json:"citation"`
	Reason   Reason `json:"reason"`
}

// Decision is the gate's answer for one attempt.
type Decision struct {
	Allowed    bool        `json:"allowed"`
	Violations []Violation `json:"violations"`
	// Obligations the caller must meet when the contact is made. The slice is shared
	// with the pack: do not modify it.
	Obligations []string `json:"obligations"`
	// NextAllowedAt is the earliest time at which the same attempt would pass the
	// time- and count-based rules, in the debtor's time zone. It is zero when no time
	// would help (another kind of rule is violated) or when the attempt is allowed.
	NextAllowedAt time.Time `json:"next_allowed_at,omitzero"`
}
