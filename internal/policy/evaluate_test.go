package policy

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/fairdebt/fairdebt/internal/screen"
)

// scenario builds a snapshot and an attempt for one rule test.
type scenario struct {
	pack    string
	tz      string
	holds   []Hold
	parties []Party
	optouts []OptOut
	history []Contact
	attempt Attempt
	// inconvenient are the debtor's inconvenient times, "HH:MM-HH:MM".
	inconvenient []string
}

func mustPack(t testing.TB, name string) *Pack {
	t.Helper()
	reg, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	p, err := reg.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func mustLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// at parses a local wall time "2006-01-02 15:04" in zone tz.
func at(t testing.TB, tz, wall string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", wall, mustLoc(t, tz))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func (s scenario) run(t *testing.T) Decision {
	t.Helper()
	tz := s.tz
	if tz == "" {
		tz = "Asia/Shanghai"
	}
	var holds HoldSet
	for _, h := range s.holds {
		holds = holds.With(h)
	}
	parties := s.parties
	if parties == nil {
		parties = []Party{{ID: "D1", Role: Debtor}}
	}
	snap := &Snapshot{
		Debtor:  DebtorInfo{ID: "D1", Location: mustLoc(t, tz), Holds: holds},
		Parties: parties, OptOuts: s.optouts, History: s.history,
	}
	for _, w := range s.inconvenient {
		tw, err := ParseTimeWindow(w)
		if err != nil {
			t.Fatal(err)
		}
		snap.Debtor.Inconvenient = append(snap.Debtor.Inconvenient, tw)
	}
	a := s.attempt
	if a.Party == "" {
		a.Party = "D1"
	}
	if a.Channel == 0 {
		a.Channel = Call
	}
	if a.Purpose == 0 {
		a.Purpose = Collect
	}
	return Evaluate(mustPack(t, s.pack), snap, &a)
}

func ruleIDs(d Decision) []string {
	ids := []string{}
	for _, v := range d.Violations {
		ids = append(ids, v.Rule)
	}
	return ids
}

// expect checks that exactly the given rules are violated; none means allowed.
func expect(t *testing.T, d Decision, rules ...string) {
	t.Helper()
	if got := ruleIDs(d); !slices.Equal(got, append([]string{}, rules...)) {
		t.Fatalf("violations = %v, want %v", got, rules)
	}
	if d.Allowed != (len(rules) == 0) {
		t.Fatalf("allowed = %v with violations %v", d.Allowed, rules)
	}
}

func expectNext(t *testing.T, d Decision, want time.Time) {
	t.Helper()
	if want.IsZero() {
		if !d.NextAllowedAt.IsZero() {
			t.Fatalf("next_allowed_at = %v, want none", d.NextAllowedAt)
		}
		return
	}
	if !d.NextAllowedAt.Equal(want) {
		t.Fatalf("next_allowed_at = %v, want %v", d.NextAllowedAt, want)
	}
}

// calls returns n contacts to party on channel with result, one minute apart from start.
func calls(n int, party string, ch Channel, result Result, start time.Time) []Contact {
	out := make([]Contact, n)
	for i := range out {
		out[i] = Contact{At: start.Add(time.Duration(i) * time.Minute), Party: party, Channel: ch, Result: result}
	}
	return out
}

const sh = "Asia/Shanghai"
const ny = "America/New_York"

var (
	debtorOnly   = []Party{{ID: "D1", Role: Debtor}}
	withContacts = []Party{
		{ID: "D1", Role: Debtor},
		{ID: "P1", Role: EmergencyContact, Consent: true, Relation: "parent"},
		{ID: "P2", Role: ThirdParty, Relation: "colleague"},
		{ID: "A1", Role: Attorney},
	}
)

func TestQuietHours(t *testing.T) {
	cases := []struct {
		rule, pack, tz, wall string
		channel              Channel
		denied               bool
		next                 string // local wall time of next_allowed_at when denied
	}{
		{"cn.quiet_hours", "cn", sh, "2026-11-24 21:59", Call, false, ""},
		{"cn.quiet_hours", "cn", sh, "2026-11-24 22:00", Call, true, "2026-11-25 08:00"},
		{"cn.quiet_hours", "cn", sh, "2026-11-25 07:59", Call, true, "2026-11-25 08:00"},
		{"cn.quiet_hours", "cn", sh, "2026-11-25 08:00", Call, false, ""},
		{"cn.quiet_hours", "cn", sh, "2026-11-24 23:30", Visit, true, "2026-11-25 08:00"},
		{"cn.quiet_hours", "cn", sh, "2026-11-24 23:30", Letter, true, "2026-11-25 08:00"},
		{"us.quiet_hours", "us", ny, "2026-11-24 20:59", Call, false, ""},
		{"us.quiet_hours", "us", ny, "2026-11-24 21:00", Call, true, "2026-11-25 08:00"},
		{"us.quiet_hours", "us", ny, "2026-11-25 07:59", SMS, true, "2026-11-25 08:00"},
		{"us.quiet_hours", "us", ny, "2026-11-25 08:00", Email, false, ""},
		{"us.quiet_hours", "us", ny, "2026-11-24 23:00", Letter, false, ""},
		// DST change days in New York: spring forward 2026-03-08, fall back 2026-11-01.
		{"us.quiet_hours", "us", ny, "2026-03-08 07:59", Call, true, "2026-03-08 08:00"},
		{"us.quiet_hours", "us", ny, "2026-03-08 08:00", Call, false, ""},
		{"us.quiet_hours", "us", ny, "2026-03-07 21:30", Call, true, "2026-03-08 08:00"},
		{"us.quiet_hours", "us", ny, "2026-11-01 20:59", Call, false, ""},
		{"us.quiet_hours", "us", ny, "2026-10-31 22:00", Call, true, "2026-11-01 08:00"},
	}
	for _, c := range cases {
		t.Run(c.rule+"/"+c.channel.String()+"/"+c.wall, func(t *testing.T) {
			d := scenario{pack: c.pack, tz: c.tz, attempt: Attempt{Channel: c.channel, At: at(t, c.tz, c.wall),
				Collectors: 2, CallerIDRegistered: true}}.run(t)
			if !c.denied {
				expect(t, d)
				return
			}
			expect(t, d, c.rule)
			expectNext(t, d, at(t, c.tz, c.next))
			if got := d.NextAllowedAt.Location().String(); got != c.tz {
				t.Errorf("next_allowed_at in zone %s, want the debtor's %s", got, c.tz)
			}
		})
	}
}

func TestCNConnectedCallsPerDay(t *testing.T) {
	const rule = "cn.frequency.connected_calls_per_day"
	now := at(t, sh, "2026-11-24 15:00")
	morning := at(t, sh, "2026-11-24 09:00")
	for _, c := range []struct {
		name    string
		history []Contact
		denied  bool
	}{
		{"2 connected today: 3rd allowed", calls(2, "D1", Call, Connected, morning), false},
		{"3 connected today: 4th denied", calls(3, "D1", Call, Connected, morning), true},
		{"3 connected yesterday evening do not count", calls(3, "D1", Call, Connected, at(t, sh, "2026-11-23 21:00")), false},
		{"pending outcomes count as connected (fail closed)", calls(3, "D1", Call, Pending, morning), true},
		{"unanswered calls do not count", calls(3, "D1", Call, NoAnswer, morning), false},
		{"connected calls to a contact do not count", calls(3, "P1", Call, Connected, morning), false},
	} {
		t.Run(rule+"/"+c.name, func(t *testing.T) {
			d := scenario{pack: "cn", parties: withContacts, history: c.history,
				attempt: Attempt{At: now, CallerIDRegistered: true}}.run(t)
			if !c.denied {
				expect(t, d)
				return
			}
			expect(t, d, rule)
			expectNext(t, d, at(t, sh, "2026-11-25 08:00"))
		})
	}
}

func TestCNCallAttemptsPerContactMethod(t *testing.T) {
	const rule = "cn.frequency.call_attempts_per_contact_method"
	now := at(t, sh, "2026-11-24 15:00")
	morning := at(t, sh, "2026-11-24 09:00")
	t.Run(rule+"/5 attempts: 6th allowed", func(t *testing.T) {
		d := scenario{pack: "cn", history: calls(5, "D1", Call, NoAnswer, morning),
			attempt: Attempt{At: now, CallerIDRegistered: true}}.run(t)
		expect(t, d)
	})
	t.Run(rule+"/6 attempts: 7th denied", func(t *testing.T) {
		d := scenario{pack: "cn", history: calls(6, "D1", Call, NoAnswer, morning),
			attempt: Attempt{At: now, CallerIDRegistered: true}}.run(t)
		expect(t, d, rule)
		expectNext(t, d, at(t, sh, "2026-11-25 08:00"))
	})
	t.Run(rule+"/SMS do not count toward calls", func(t *testing.T) {
		d := scenario{pack: "cn", history: calls(6, "D1", SMS, Delivered, morning),
			attempt: Attempt{At: now, CallerIDRegistered: true}}.run(t)
		expect(t, d)
	})
	t.Run(rule+"/4 connected of 6: both caps", func(t *testing.T) {
		h := append(calls(3, "D1", Call, Connected, morning), calls(3, "D1", Call, NoAnswer, morning.Add(time.Hour))...)
		d := scenario{pack: "cn", history: h, attempt: Attempt{At: now, CallerIDRegistered: true}}.run(t)
		expect(t, d, "cn.frequency.connected_calls_per_day", rule)
	})
}

func TestCNThirdParty(t *testing.T) {
	now := at(t, sh, "2026-11-24 10:00")
	unreachable := []Contact{
		{At: at(t, sh, "2026-11-23 10:00"), Party: "D1", Channel: Call, Result: NoAnswer},
		{At: at(t, sh, "2026-11-23 15:00"), Party: "D1", Channel: Call, Result: Busy},
		{At: at(t, sh, "2026-11-24 09:00"), Party: "D1", Channel: Call, Result: Voicemail},
	}
	locate := Attempt{Party: "P1", At: now, Purpose: Locate, CallerIDRegistered: true}
	cases := []struct {
		name    string
		parties []Party
		history []Contact
		attempt Attempt
		rules   []string
	}{
		{"consented contact, debtor unreachable, locate: allowed", withContacts, unreachable, locate, nil},
		{"unrelated third party: never", withContacts, unreachable,
			Attempt{Party: "P2", At: now, Purpose: Locate, CallerIDRegistered: true},
			[]string{"cn.third_party.unrelated"}},
		{"a person not in the snapshot is an unrelated third party", withContacts, unreachable,
			Attempt{Party: "X9", At: now, Purpose: Locate, CallerIDRegistered: true},
			[]string{"cn.third_party.unrelated"}},
		{"no consent", []Party{{ID: "D1", Role: Debtor}, {ID: "P1", Role: EmergencyContact}}, unreachable, locate,
			[]string{"cn.third_party.consent_required"}},
		{"objected", []Party{{ID: "D1", Role: Debtor}, {ID: "P1", Role: EmergencyContact, Consent: true, Objected: true}},
			unreachable, locate, []string{"cn.third_party.objected"}},
		{"purpose collect", withContacts, unreachable,
			Attempt{Party: "P1", At: now, Purpose: Collect, CallerIDRegistered: true},
			[]string{"cn.third_party.locate_only"}},
		{"debtor never tried", withContacts, nil, locate, []string{"cn.third_party.debtor_unreachable_only"}},
		{"only 2 failed attempts", withContacts, unreachable[1:], locate, []string{"cn.third_party.debtor_unreachable_only"}},
		{"connected after failures", withContacts,
			append(slices.Clone(unreachable), Contact{At: at(t, sh, "2026-11-24 09:30"), Party: "D1", Channel: Call, Result: Connected}),
			locate, []string{"cn.third_party.debtor_unreachable_only"}},
		{"replied by SMS after failures", withContacts,
			append(slices.Clone(unreachable), Contact{At: at(t, sh, "2026-11-24 09:30"), Party: "D1", Channel: SMS, Result: Replied}),
			locate, []string{"cn.third_party.debtor_unreachable_only"}},
		{"last attempt pending: not known to have failed", withContacts,
			append(slices.Clone(unreachable), Contact{At: at(t, sh, "2026-11-24 09:30"), Party: "D1", Channel: Call, Result: Pending}),
			locate, []string{"cn.third_party.debtor_unreachable_only"}},
		{"invalid number: unreachable at once", withContacts,
			[]Contact{{At: at(t, sh, "2026-11-24 09:00"), Party: "D1", Channel: Call, Result: InvalidNumber}}, locate, nil},
		{"history out of order still finds the latest three", withContacts,
			[]Contact{unreachable[2], {At: at(t, sh, "2026-11-20 10:00"), Party: "D1", Channel: Call, Result: Connected}, unreachable[0], unreachable[1]},
			locate, nil},
		{"attempts after the attempt time are not looked at", withContacts,
			append(slices.Clone(unreachable), Contact{At: now.Add(time.Minute), Party: "D1", Channel: Call, Result: Connected}),
			locate, nil},
		{"message discloses the debt", withContacts, unreachable,
			Attempt{Party: "P1", Channel: SMS, At: now, Purpose: Locate, CallerIDRegistered: true, Message: "请转告张先生，他的欠款已经逾期。"},
			[]string{"cn.third_party.no_disclosure"}},
		{"message discloses the debt through evasions", withContacts, unreachable,
			Attempt{Party: "P1", Channel: SMS, At: now, Purpose: Locate, CallerIDRegistered: true, Message: "請轉告張先生，他的欠*款已經逾 期。"},
			[]string{"cn.third_party.no_disclosure"}},
		{"message asks only for a call back", withContacts, unreachable,
			Attempt{Party: "P1", Channel: SMS, At: now, Purpose: Locate, CallerIDRegistered: true, Message: "您好，请转告张先生方便时回电，谢谢。"},
			nil},
		{"the debtor may be told about the debt", withContacts, nil,
			Attempt{Party: "D1", Channel: SMS, At: now, Purpose: Collect, CallerIDRegistered: true, Message: "您的借款已逾期，请及时还款。"},
			nil},
		{"attorney may be contacted", withContacts, nil,
			Attempt{Party: "A1", Channel: Email, At: now, Purpose: Collect, CallerIDRegistered: true, Message: "关于您当事人的欠款"},
			nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := scenario{pack: "cn", parties: c.parties, history: c.history, attempt: c.attempt}.run(t)
			expect(t, d, c.rules...)
			expectNext(t, d, time.Time{})
		})
	}
}

func TestCNOtherRules(t *testing.T) {
	now := at(t, sh, "2026-11-24 10:00")
	six := []Party{{ID: "D1", Role: Debtor}}
	for i := range 6 {
		six = append(six, Party{ID: "E" + string(rune('1'+i)), Role: EmergencyContact, Consent: true})
	}
	unreachable := calls(1, "D1", Call, InvalidNumber, at(t, sh, "2026-11-24 09:00"))
	cases := []struct {
		name    string
		parties []Party
		optouts []OptOut
		history []Contact
		attempt Attempt
		rules   []string
	}{
		{"cn.opt_out.channel: SMS opted out", nil, []OptOut{{"D1", SMS}}, nil,
			Attempt{Channel: SMS, At: now, CallerIDRegistered: true}, []string{"cn.opt_out.channel"}},
		{"cn.opt_out.channel: call still allowed", nil, []OptOut{{"D1", SMS}}, nil,
			Attempt{Channel: Call, At: now, CallerIDRegistered: true}, nil},
		{"cn.channel.no_public_posts", nil, nil, nil,
			Attempt{Channel: SocialPost, At: now, CallerIDRegistered: true}, []string{"cn.channel.no_public_posts"}},
		{"cn.visit.two_collectors: one collector", nil, nil, nil,
			Attempt{Channel: Visit, At: now, Collectors: 1, CallerIDRegistered: true}, []string{"cn.visit.two_collectors"}},
		{"cn.visit.two_collectors: two collectors", nil, nil, nil,
			Attempt{Channel: Visit, At: now, Collectors: 2, CallerIDRegistered: true}, nil},
		{"cn.identity.registered_caller_id: unregistered call", nil, nil, nil,
			Attempt{Channel: Call, At: now}, []string{"cn.identity.registered_caller_id"}},
		{"cn.identity.registered_caller_id: letters have no caller id", nil, nil, nil,
			Attempt{Channel: Letter, At: now}, nil},
		{"cn.content.prohibited: insult", nil, nil, nil,
			Attempt{Channel: SMS, At: now, CallerIDRegistered: true, Message: "你这个老赖，赶紧还钱！"}, []string{"cn.content.prohibited"}},
		{"cn.content.prohibited: false legal claim in English", nil, nil, nil,
			Attempt{Channel: SMS, At: now, CallerIDRegistered: true, Message: "Pay today or we will have you ARRESTED."}, []string{"cn.content.prohibited"}},
		{"cn.content.prohibited: lawful reminder", nil, nil, nil,
			Attempt{Channel: SMS, At: now, CallerIDRegistered: true, Message: "您本月的还款日已过，如有困难可申请分期，请回电协商。"}, nil},
		// The gate screens with the full screener: evasions are seen through.
		{"cn.content.prohibited: insult with a space inserted", nil, nil, nil,
			Attempt{Channel: SMS, At: now, CallerIDRegistered: true, Message: "你这个老 赖"}, []string{"cn.content.prohibited"}},
		{"cn.content.prohibited: traditional characters and symbols", nil, nil, nil,
			Attempt{Channel: SMS, At: now, CallerIDRegistered: true, Message: "已涉嫌詐騙，移交公-安"}, []string{"cn.content.prohibited"}},
		{"cn.content.prohibited: zero-width and full-width letters", nil, nil, nil,
			Attempt{Channel: SMS, At: now, CallerIDRegistered: true, Message: "We will have you ＡＲ\u200bＲＥＳＴＥＤ."}, []string{"cn.content.prohibited"}},
		{"cn.content.prohibited: truthful legal notice", nil, nil, nil,
			Attempt{Channel: SMS, At: now, CallerIDRegistered: true, Message: "如仍未还款，我司可能依法起诉，届时另行书面通知。"}, nil},
		{"cn.data_minimization.emergency_contacts: six contacts", six, nil, unreachable,
			Attempt{Party: "E1", Channel: Call, At: now, Purpose: Locate, CallerIDRegistered: true},
			[]string{"cn.data_minimization.emergency_contacts"}},
		{"cn.data_minimization.emergency_contacts: five contacts", six[:6], nil, unreachable,
			Attempt{Party: "E1", Channel: Call, At: now, Purpose: Locate, CallerIDRegistered: true}, nil},
		{"every violation is reported, not just the first", withContacts, nil, nil,
			Attempt{Party: "P2", Channel: SocialPost, At: at(t, sh, "2026-11-24 23:00"), Message: "老赖张三欠款不还"},
			[]string{"cn.quiet_hours", "cn.third_party.unrelated", "cn.third_party.no_disclosure", "cn.channel.no_public_posts", "cn.content.prohibited"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := scenario{pack: "cn", parties: c.parties, optouts: c.optouts, history: c.history, attempt: c.attempt}.run(t)
			expect(t, d, c.rules...)
			expectNext(t, d, time.Time{})
		})
	}
}

func TestUSCallsSevenInSeven(t *testing.T) {
	const rule = "us.frequency.calls_7_in_7"
	// Seven unanswered calls, one a day on Nov 17..23; the attempt is on Nov 23.
	var week []Contact
	for day := 17; day <= 23; day++ {
		week = append(week, Contact{At: at(t, ny, "2026-11-"+itoa(day)+" 10:00"), Party: "D1", Channel: Call, Result: NoAnswer})
	}
	attemptAt := at(t, ny, "2026-11-23 15:00")
	t.Run(rule+"/6 calls in 7 days: 7th allowed", func(t *testing.T) {
		d := scenario{pack: "us", tz: ny, history: week[1:], attempt: Attempt{At: attemptAt}}.run(t)
		expect(t, d)
	})
	t.Run(rule+"/7 calls in 7 days: 8th denied", func(t *testing.T) {
		d := scenario{pack: "us", tz: ny, history: week, attempt: Attempt{At: attemptAt}}.run(t)
		expect(t, d, rule)
		// The Nov 17 call leaves the window on Nov 24.
		expectNext(t, d, at(t, ny, "2026-11-24 08:00"))
	})
	t.Run(rule+"/a call 7 days before is outside the window", func(t *testing.T) {
		h := append(slices.Clone(week[1:]), Contact{At: at(t, ny, "2026-11-16 10:00"), Party: "D1", Channel: Call, Result: NoAnswer})
		d := scenario{pack: "us", tz: ny, history: h, attempt: Attempt{At: attemptAt}}.run(t)
		expect(t, d)
	})
	t.Run(rule+"/calls that never connected are excluded", func(t *testing.T) {
		h := slices.Clone(week)
		h[0].Result = Busy
		d := scenario{pack: "us", tz: ny, history: h, attempt: Attempt{At: attemptAt}}.run(t)
		expect(t, d)
	})
	t.Run(rule+"/DST fall back: days are local days", func(t *testing.T) {
		// 2026-11-01 is 25 hours long in New York. Seven calls at 23:30 local on
		// Oct 26..Nov 1; on Nov 2 at 10:00 the window Oct 27..Nov 2 holds six.
		var h []Contact
		for _, d := range []string{"10-26", "10-27", "10-28", "10-29", "10-30", "10-31", "11-01"} {
			h = append(h, Contact{At: at(t, ny, "2026-"+d+" 20:30"), Party: "D1", Channel: Call, Result: NoAnswer})
		}
		d := scenario{pack: "us", tz: ny, history: h, attempt: Attempt{At: at(t, ny, "2026-11-01 20:45")}}.run(t)
		expect(t, d, rule)
		expectNext(t, d, at(t, ny, "2026-11-02 08:00"))
		d = scenario{pack: "us", tz: ny, history: h, attempt: Attempt{At: at(t, ny, "2026-11-02 08:00")}}.run(t)
		expect(t, d)
	})
}

func itoa(n int) string {
	return string(rune('0'+n/10)) + string(rune('0'+n%10))
}

func TestUSPostConversation(t *testing.T) {
	const rule = "us.post_conversation"
	talk := []Contact{{At: at(t, ny, "2026-11-01 10:00"), Party: "D1", Channel: Call, Result: Connected}}
	cases := []struct {
		wall    string
		channel Channel
		denied  bool
	}{
		{"2026-11-01 15:00", Call, true}, // day 1
		{"2026-11-07 20:00", Call, true}, // day 7
		{"2026-11-08 08:00", Call, false},
		{"2026-11-03 10:00", SMS, false}, // the rule limits calls only
	}
	for _, c := range cases {
		t.Run(rule+"/"+c.wall+"/"+c.channel.String(), func(t *testing.T) {
			d := scenario{pack: "us", tz: ny, history: talk, attempt: Attempt{Channel: c.channel, At: at(t, ny, c.wall)}}.run(t)
			if !c.denied {
				expect(t, d)
				return
			}
			expect(t, d, rule)
			expectNext(t, d, at(t, ny, "2026-11-08 08:00"))
		})
	}
	t.Run(rule+"/a call with no outcome yet counts as a conversation (fail closed)", func(t *testing.T) {
		pending := []Contact{{At: at(t, ny, "2026-11-01 10:00"), Party: "D1", Channel: Call, Result: Pending}}
		d := scenario{pack: "us", tz: ny, history: pending, attempt: Attempt{Channel: Call, At: at(t, ny, "2026-11-01 10:05")}}.run(t)
		expect(t, d, rule)
		expectNext(t, d, at(t, ny, "2026-11-08 08:00"))
	})
	t.Run(rule+"/DST spring forward: day 8 starts at local midnight", func(t *testing.T) {
		talk := []Contact{{At: at(t, ny, "2026-03-05 10:00"), Party: "D1", Channel: Call, Result: Connected}}
		d := scenario{pack: "us", tz: ny, history: talk, attempt: Attempt{At: at(t, ny, "2026-03-11 12:00")}}.run(t)
		expect(t, d, rule)
		expectNext(t, d, at(t, ny, "2026-03-12 08:00"))
		if _, off := d.NextAllowedAt.Zone(); off != -4*3600 {
			t.Errorf("next_allowed_at offset %d, want EDT (-4h)", off)
		}
		d = scenario{pack: "us", tz: ny, history: talk, attempt: Attempt{At: at(t, ny, "2026-03-12 08:00")}}.run(t)
		expect(t, d)
	})
	t.Run(rule+"/a conversation with someone else does not count", func(t *testing.T) {
		other := []Contact{{At: at(t, ny, "2026-11-01 10:00"), Party: "A1", Channel: Call, Result: Connected}}
		d := scenario{pack: "us", tz: ny, parties: withContacts, history: other, attempt: Attempt{At: at(t, ny, "2026-11-02 10:00")}}.run(t)
		expect(t, d)
	})
}

func TestUSHoldsAndThirdParties(t *testing.T) {
	now := at(t, ny, "2026-11-24 10:00")
	cases := []struct {
		name    string
		holds   []Hold
		parties []Party
		history []Contact
		attempt Attempt
		rules   []string
	}{
		{"us.hold.dispute", []Hold{HoldDispute}, nil, nil, Attempt{At: now}, []string{"us.hold.dispute"}},
		{"us.hold.cease", []Hold{HoldCease}, nil, nil, Attempt{Channel: Email, At: now}, []string{"us.hold.cease"}},
		{"us.hold.attorney", []Hold{HoldAttorney}, nil, nil, Attempt{At: now}, []string{"us.hold.attorney"}},
		{"us.hold.attorney: the attorney may be contacted", []Hold{HoldAttorney}, withContacts, nil,
			Attempt{Party: "A1", At: now}, nil},
		{"us.hold.attorney: third parties neither", []Hold{HoldAttorney}, withContacts, nil,
			Attempt{Party: "P2", At: now, Purpose: Locate}, []string{"us.hold.attorney"}},
		{"a plan in good standing is not a federal hold", []Hold{HoldPlanActive}, nil, nil, Attempt{At: now}, nil},
		{"us.third_party.locate_only", nil, withContacts, nil,
			Attempt{Party: "P2", At: now, Purpose: Collect}, []string{"us.third_party.locate_only"}},
		{"us.third_party: one location call allowed", nil, withContacts, nil,
			Attempt{Party: "P2", At: now, Purpose: Locate}, nil},
		{"us.third_party.once: second contact denied", nil, withContacts,
			[]Contact{{At: at(t, ny, "2026-11-20 10:00"), Party: "P2", Channel: Call, Result: Connected}},
			Attempt{Party: "P2", At: now, Purpose: Locate}, []string{"us.third_party.once"}},
		{"us.third_party.once: a pending contact at the same instant counts", nil, withContacts,
			[]Contact{{At: now, Party: "P2", Channel: Call, Result: Pending}},
			Attempt{Party: "P2", At: now, Purpose: Locate}, []string{"us.third_party.once"}},
		{"us.third_party.once: an unanswered call did not use it up", nil, withContacts,
			[]Contact{{At: at(t, ny, "2026-11-20 10:00"), Party: "P2", Channel: Call, Result: NoAnswer}},
			Attempt{Party: "P2", At: now, Purpose: Locate}, nil},
		{"us.third_party.objected", nil, []Party{{ID: "D1", Role: Debtor}, {ID: "P2", Role: ThirdParty, Objected: true}}, nil,
			Attempt{Party: "P2", At: now, Purpose: Locate}, []string{"us.third_party.objected"}},
		{"us.third_party.no_disclosure", nil, withContacts, nil,
			Attempt{Party: "P2", Channel: Email, At: now, Purpose: Locate, Message: "We are trying to reach John about an overdue balance."},
			[]string{"us.third_party.no_disclosure"}},
		{"us.content.harassment", nil, nil, nil,
			Attempt{Channel: SMS, At: now, Message: "Pay up, you deadbeat."}, []string{"us.content.harassment"}},
		{"us.content.false_representation", nil, nil, nil,
			Attempt{Channel: Call, At: now, Message: "This is the police department calling about your debt."},
			[]string{"us.content.false_representation"}},
		{"us.channel.no_public_social", nil, nil, nil, Attempt{Channel: SocialPost, At: now}, []string{"us.channel.no_public_social"}},
		{"us.opt_out.channel", nil, nil, nil, Attempt{Channel: SMS, At: now}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := scenario{pack: "us", tz: ny, holds: c.holds, parties: c.parties, history: c.history, attempt: c.attempt}
			if c.name == "us.opt_out.channel" {
				s.optouts = []OptOut{{"D1", Email}}
			}
			expect(t, s.run(t), c.rules...)
		})
	}
	t.Run("us.opt_out.channel: opted-out channel denied", func(t *testing.T) {
		d := scenario{pack: "us", tz: ny, optouts: []OptOut{{"D1", SMS}}, attempt: Attempt{Channel: SMS, At: now}}.run(t)
		expect(t, d, "us.opt_out.channel")
		expectNext(t, d, time.Time{})
	})
}

func TestStateOverlays(t *testing.T) {
	t.Run("us-ma.frequency.calls_2_in_7", func(t *testing.T) {
		h := []Contact{
			{At: at(t, ny, "2026-11-18 10:00"), Party: "D1", Channel: Call, Result: Connected},
			{At: at(t, ny, "2026-11-20 10:00"), Party: "D1", Channel: Call, Result: Voicemail},
		}
		d := scenario{pack: "us-ma", tz: ny, history: h, attempt: Attempt{At: at(t, ny, "2026-11-23 10:00")}}.run(t)
		expect(t, d, "us.post_conversation", "us-ma.frequency.calls_2_in_7")
		// Conversation day Nov 18 blocks through Nov 24; the Nov 18 call leaves the
		// Massachusetts window on Nov 25.
		expectNext(t, d, at(t, ny, "2026-11-25 08:00"))
		h[1].Result = NoAnswer
		d = scenario{pack: "us-ma", tz: ny, history: h, attempt: Attempt{At: at(t, ny, "2026-11-25 10:00")}}.run(t)
		expect(t, d)
		d = scenario{pack: "us", tz: ny, history: h[1:], attempt: Attempt{At: at(t, ny, "2026-11-23 10:00")}}.run(t)
		expect(t, d)
	})
	two := []Contact{
		{At: at(t, ny, "2026-12-28 10:00"), Party: "D1", Channel: SMS, Result: Delivered},
		{At: at(t, ny, "2026-12-29 10:00"), Party: "D1", Channel: Email, Result: Delivered},
	}
	t.Run("us-nyc.frequency.contacts_2_in_7", func(t *testing.T) {
		d := scenario{pack: "us-nyc", tz: ny, history: two, attempt: Attempt{Channel: Email, At: at(t, ny, "2026-12-30 10:00")}}.run(t)
		expect(t, d, "us-nyc.frequency.contacts_2_in_7")
		// The 2-in-7 cap ends with 2026; from 2027-01-01 the cap is 3 in 7.
		expectNext(t, d, at(t, ny, "2027-01-01 08:00"))
	})
	t.Run("us-nyc.frequency.contacts_3_in_7", func(t *testing.T) {
		d := scenario{pack: "us-nyc", tz: ny, history: two, attempt: Attempt{Channel: Email, At: at(t, ny, "2027-01-02 10:00")}}.run(t)
		expect(t, d)
		three := append(slices.Clone(two), Contact{At: at(t, ny, "2027-01-01 10:00"), Party: "D1", Channel: Call, Result: NoAnswer})
		d = scenario{pack: "us-nyc", tz: ny, history: three, attempt: Attempt{Channel: Email, At: at(t, ny, "2027-01-02 10:00")}}.run(t)
		expect(t, d, "us-nyc.frequency.contacts_3_in_7")
		expectNext(t, d, at(t, ny, "2027-01-04 08:00"))
	})
	t.Run("letters do not count in New York City", func(t *testing.T) {
		h := append(slices.Clone(two), Contact{At: at(t, ny, "2026-12-21 10:00"), Party: "D1", Channel: Letter, Result: Delivered})
		d := scenario{pack: "us-nyc", tz: ny, history: h[2:], attempt: Attempt{Channel: Letter, At: at(t, ny, "2026-12-22 10:00")}}.run(t)
		expect(t, d)
	})
}

func TestObligations(t *testing.T) {
	now := at(t, sh, "2026-11-24 10:00")
	d := scenario{pack: "cn", attempt: Attempt{At: now, CallerIDRegistered: true}}.run(t)
	if want := []string{"record_call", "state_identity"}; !slices.Equal(d.Obligations, want) {
		t.Errorf("cn call to debtor: obligations %v, want %v", d.Obligations, want)
	}
	d = scenario{pack: "us", tz: ny, attempt: Attempt{Channel: SMS, At: at(t, ny, "2026-11-24 10:00")}}.run(t)
	if want := []string{"mini_miranda", "opt_out_notice"}; !slices.Equal(d.Obligations, want) {
		t.Errorf("us sms to debtor: obligations %v, want %v", d.Obligations, want)
	}
	d = scenario{pack: "us", tz: ny, parties: withContacts, attempt: Attempt{Party: "P2", Purpose: Locate, At: at(t, ny, "2026-11-24 10:00")}}.run(t)
	if want := []string{"location_only_script", "record_call"}; !slices.Equal(d.Obligations, want) {
		t.Errorf("us location call: obligations %v, want %v", d.Obligations, want)
	}
}

func TestNextAllowedOmittedWhenTimeCannotHelp(t *testing.T) {
	d := scenario{pack: "cn", parties: withContacts,
		attempt: Attempt{Party: "P2", At: at(t, sh, "2026-11-24 23:00"), Purpose: Locate, CallerIDRegistered: true}}.run(t)
	expect(t, d, "cn.quiet_hours", "cn.third_party.unrelated")
	expectNext(t, d, time.Time{})
}

func TestNextAllowedCombinesRules(t *testing.T) {
	// Three connected calls today and it is 23:00: tomorrow the daily cap resets at
	// midnight, but quiet hours last until 08:00.
	d := scenario{pack: "cn", history: calls(3, "D1", Call, Connected, at(t, sh, "2026-11-24 09:00")),
		attempt: Attempt{At: at(t, sh, "2026-11-24 23:00"), CallerIDRegistered: true}}.run(t)
	expect(t, d, "cn.quiet_hours", "cn.frequency.connected_calls_per_day")
	expectNext(t, d, at(t, sh, "2026-11-25 08:00"))
}

func TestCELRule(t *testing.T) {
	reg, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	custom := `
pack: cn-strict
extends: cn
rules:
  - id: cn-strict.sms_evening
    category: quiet_hours
    kind: cel
    citation: CBA 2026 指引
    confidence: R
    params:
      condition: 'channel == "sms" && hour >= 20 && attempts_today >= 1'
    reason: {zh: "晚间不再发送第二条短信。", en: "No second SMS in the evening."}
`
	reg, p, err := reg.WithPack("strict.yaml", []byte(custom))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Get("cn"); err != nil {
		t.Fatal("the extended registry lost the built-in packs")
	}
	snap := &Snapshot{Debtor: DebtorInfo{ID: "D1", Location: mustLoc(t, sh)}, Parties: debtorOnly,
		History: calls(1, "D1", SMS, Delivered, at(t, sh, "2026-11-24 09:00"))}
	a := &Attempt{Party: "D1", Channel: SMS, At: at(t, sh, "2026-11-24 20:30"), Purpose: Collect, CallerIDRegistered: true}
	expect(t, Evaluate(p, snap, a), "cn-strict.sms_evening")
	a.At = at(t, sh, "2026-11-24 19:30")
	expect(t, Evaluate(p, snap, a))
	if !strings.Contains(p.Rules()[len(p.Rules())-1].Params, "condition=") {
		t.Errorf("listing does not show the condition")
	}
}

func TestEvaluateIsDeterministicAndDoesNotMutate(t *testing.T) {
	p := mustPack(t, "cn")
	h := calls(3, "D1", Call, Connected, at(t, sh, "2026-11-24 09:00"))
	snap := &Snapshot{Debtor: DebtorInfo{ID: "D1", Location: mustLoc(t, sh)}, Parties: slices.Clone(withContacts), History: slices.Clone(h)}
	a := &Attempt{Party: "D1", Channel: Call, At: at(t, sh, "2026-11-24 23:00"), Purpose: Collect, CallerIDRegistered: true}
	first := Evaluate(p, snap, a)
	for range 3 {
		again := Evaluate(p, snap, a)
		if !slices.Equal(ruleIDs(first), ruleIDs(again)) || !first.NextAllowedAt.Equal(again.NextAllowedAt) {
			t.Fatal("Evaluate gave different answers for the same input")
		}
	}
	if !slices.Equal(snap.History, h) {
		t.Fatal("Evaluate modified the snapshot")
	}
}

// The gate asks the screener only for the categories the rules can look at in a
// message to the person contacted: a debt reminder's debt words are screened as a
// disclosure only toward a third party. A CEL rule may read any category.
func TestContentWantPerRole(t *testing.T) {
	p := mustPack(t, "cn")
	harmful := screen.AllCategories &^ screen.Set(0).With(screen.DebtDisclosure)
	for ro, want := range map[Role]screen.Set{Debtor: harmful, Attorney: harmful,
		EmergencyContact: screen.AllCategories, ThirdParty: screen.AllCategories} {
		if got := p.contentWant[ro]; got != want {
			t.Errorf("cn asks for %v toward a %v, want %v", got.Names(), ro, want.Names())
		}
	}
	reg, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	_, withCEL, err := reg.WithPack("cel.yaml", []byte(`
pack: cn-cel
extends: cn
rules:
  - id: cn-cel.no_debt_talk_at_night
    category: prohibited_content
    kind: cel
    citation: CBA 2026 指引
    confidence: R
    roles: [emergency_contact]
    params:
      condition: 'hour >= 20 && "debt_disclosure" in content'
    reason: {zh: "晚间不得提及债务。", en: "No mention of the debt in the evening."}
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := withCEL.contentWant[Debtor]; got != screen.AllCategories {
		t.Errorf("a pack with a CEL rule asks for %v toward the debtor, want every category", got.Names())
	}
	msg := "您本月的借款已逾期，请尽快还款，以免影响征信。"
	snap := &Snapshot{Debtor: DebtorInfo{ID: "D1", Location: mustLoc(t, sh)}, Parties: slices.Clone(withContacts)}
	a := &Attempt{Party: "D1", Channel: SMS, At: at(t, sh, "2026-11-24 10:00"), Purpose: Collect, Message: msg, CallerIDRegistered: true}
	expect(t, Evaluate(p, snap, a))
	// A collection message to an emergency contact breaks the contact rules too.
	toContact := []string{"cn.third_party.locate_only", "cn.third_party.debtor_unreachable_only", "cn.third_party.no_disclosure"}
	a.Party = withContacts[1].ID
	expect(t, Evaluate(p, snap, a), toContact...)
	a.Party, a.At = "D1", at(t, sh, "2026-11-24 20:30")
	expect(t, Evaluate(withCEL, snap, a))
	a.Party = withContacts[1].ID
	expect(t, Evaluate(withCEL, snap, a), append(toContact, "cn-cel.no_debt_talk_at_night")...)
}

// ContentFor warns about what the pack weighs toward each role: debt words toward
// an emergency contact, not toward the debtor; a threat toward anyone.
func TestContentFor(t *testing.T) {
	reg, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	p, err := reg.Get("cn")
	if err != nil {
		t.Fatal(err)
	}
	debt := "您的借款已逾期，请尽快还款"
	if got := p.ContentFor(Debtor, debt); len(got) != 0 {
		t.Errorf("debt words toward the debtor: %v", got)
	}
	if got := p.ContentFor(EmergencyContact, debt); len(got) == 0 {
		t.Error("debt words toward an emergency contact pass unnoticed")
	}
	if got := p.ContentFor(Debtor, "再不还钱就让你全家好看，小心你的腿"); len(got) == 0 {
		t.Error("a threat toward the debtor passes unnoticed")
	}
	if got := p.ContentFor(0, debt); got != nil {
		t.Errorf("no role: %v", got)
	}
}

// A time the consumer said is inconvenient is one the collector knows to be
// inconvenient (us only): no communication then, and the next allowed time is
// the window's end; third parties are not affected.
func TestUSInconvenientTimes(t *testing.T) {
	const rule = "us.inconvenient_times"
	work := []string{"09:00-17:30"}
	for _, c := range []struct {
		name         string
		tz           string
		inconvenient []string
		attempt      Attempt
		rules        []string
		next         string
	}{
		{"inside the window", ny, work, Attempt{Channel: Call, At: at(t, ny, "2026-11-24 10:00")}, []string{rule}, "2026-11-24 17:30"},
		{"at its end", ny, work, Attempt{Channel: Call, At: at(t, ny, "2026-11-24 17:30")}, nil, ""},
		{"before it", ny, work, Attempt{Channel: SMS, At: at(t, ny, "2026-11-24 08:30")}, nil, ""},
		{"no window given", ny, nil, Attempt{Channel: Call, At: at(t, ny, "2026-11-24 10:00")}, nil, ""},
		{"a letter is not at a time", ny, work, Attempt{Channel: Letter, At: at(t, ny, "2026-11-24 10:00")}, nil, ""},
		{"past midnight, then quiet hours end later", ny, []string{"20:00-08:30"}, Attempt{Channel: Call, At: at(t, ny, "2026-11-24 20:30")},
			[]string{rule}, "2026-11-25 08:30"},
		{"past midnight, morning part", ny, []string{"20:00-08:30"}, Attempt{Channel: Call, At: at(t, ny, "2026-11-25 08:15")},
			[]string{rule}, "2026-11-25 08:30"},
		{"two windows, the second follows the first", ny, []string{"12:00-13:00", "13:00-14:00"},
			Attempt{Channel: Call, At: at(t, ny, "2026-11-24 12:30")}, []string{rule}, "2026-11-24 14:00"},
		{"the cn pack has no such rule", "Asia/Shanghai", work, Attempt{Channel: Call, At: at(t, "Asia/Shanghai", "2026-11-24 10:00"), CallerIDRegistered: true}, nil, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			pack := "us"
			if c.tz == "Asia/Shanghai" {
				pack = "cn"
			}
			d := scenario{pack: pack, tz: c.tz, inconvenient: c.inconvenient, attempt: c.attempt}.run(t)
			expect(t, d, c.rules...)
			if c.next != "" {
				expectNext(t, d, at(t, c.tz, c.next))
			}
		})
	}
	t.Run("a third party's call is not the debtor's time", func(t *testing.T) {
		d := scenario{pack: "us", tz: ny, inconvenient: work, parties: withContacts,
			attempt: Attempt{Party: "P2", Channel: Call, Purpose: Locate, At: at(t, ny, "2026-11-24 10:00")}}.run(t)
		expect(t, d)
	})
	for _, bad := range []string{"9-5", "09:00", "09:00-09:00", "25:00-26:00", "09:00-17:30-18:00", "9:00-17:30"} {
		if _, err := ParseTimeWindow(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// The check contract takes the debtor's inconvenient times, and refuses bad ones
// naming the field.
func TestDecodeInconvenientTimes(t *testing.T) {
	reg, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	req := func(windows string) string {
		return `{"pack":"us","now":"2026-11-24T10:00:00-05:00","debtor":{"id":"D1","timezone":"America/New_York","inconvenient":` + windows +
			`},"parties":[{"id":"D1","role":"debtor"}],"attempt":{"party":"D1","channel":"call"}}`
	}
	r, err := DecodeRequest([]byte(req(`["09:00-17:30","22:00-06:00"]`)), reg)
	if err != nil || len(r.Snapshot.Debtor.Inconvenient) != 2 || r.Snapshot.Debtor.Inconvenient[1] != (TimeWindow{22 * 60, 6 * 60}) {
		t.Fatalf("decoded %+v, %v", r, err)
	}
	if d := Evaluate(r.Pack, &r.Snapshot, &r.Attempt); d.Allowed {
		t.Error("a call inside an inconvenient window was allowed")
	}
	for _, bad := range []string{`["9-5"]`, `"09:00-17:30"`, `[1]`} {
		_, err := DecodeRequest([]byte(req(bad)), reg)
		var ie *InputError
		if !errors.As(err, &ie) || !strings.HasPrefix(ie.Field, "debtor.inconvenient") {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

// A rule's purposes filter: a pack can stop collection under a hold and still let
// the reminder of a due instalment through; the reminder stays under every rule
// that names no purposes (quiet hours here).
func TestRulePurposesFilter(t *testing.T) {
	reg, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	const ny = "America/New_York"
	_, p, err := reg.WithPack("acme.yaml", []byte(`
pack: acme
extends: us
rules:
  - id: acme.plan_calls
    category: status_hold
    kind: hold
    citation: ACME repayment-plan terms §3
    confidence: T
    channels: [call]
    purposes: [collect, locate]
    params: {holds: [plan_active]}
    reason: {zh: "还款计划履行中。", en: "A repayment plan is being kept."}
`))
	if err != nil {
		t.Fatal(err)
	}
	snap := &Snapshot{Debtor: DebtorInfo{ID: "D1", Location: mustLoc(t, ny), Holds: HoldSet(0).With(HoldPlanActive)}, Parties: debtorOnly}
	a := &Attempt{Party: "D1", Channel: Call, At: at(t, ny, "2026-11-24 10:00"), Purpose: Collect, CallerIDRegistered: true}
	expect(t, Evaluate(p, snap, a), "acme.plan_calls")
	a.Purpose = Locate
	expect(t, Evaluate(p, snap, a), "acme.plan_calls")
	a.Purpose = Remind
	if d := Evaluate(p, snap, a); !d.Allowed {
		t.Fatalf("a reminder under the plan was denied: %v", ruleIDs(d))
	}
	a.At = at(t, ny, "2026-11-24 21:30")
	expect(t, Evaluate(p, snap, a), "us.quiet_hours")
	a.Purpose, a.At, a.Channel = Collect, at(t, ny, "2026-11-24 10:00"), SMS
	if d := Evaluate(p, snap, a); !d.Allowed {
		t.Fatalf("the rule names calls only, yet an SMS was denied: %v", ruleIDs(d))
	}
	snap.Debtor.Holds = 0
	a.Channel = Call
	if d := Evaluate(p, snap, a); !d.Allowed {
		t.Fatalf("without the hold a call was denied: %v", ruleIDs(d))
	}
	if _, _, err := reg.WithPack("bad.yaml", []byte(`
pack: bad
extends: us
rules:
  - {id: bad.x, category: status_hold, kind: hold, citation: x, confidence: T, purposes: [chat], params: {holds: [plan_active]}, reason: {zh: 某, en: x}}
`)); err == nil || !strings.Contains(err.Error(), "purposes") {
		t.Fatalf("an unknown purpose: %v", err)
	}
}

// A cap counts only the results it names; any other rule counts every contact.
func TestCountsToward(t *testing.T) {
	p := mustPack(t, "cn")
	if !p.CountsToward("cn.frequency.connected_calls_per_day", Connected) || p.CountsToward("cn.frequency.connected_calls_per_day", NoAnswer) {
		t.Error("the connected-calls cap")
	}
	if !p.CountsToward("cn.quiet_hours", NoAnswer) || !p.CountsToward("no.such.rule", NoAnswer) {
		t.Error("a rule that is not a cap")
	}
}

// HistoryNeeds asks for what the rules count and no more: a week for a CEL
// rule (attempts_7d) only when the pack has one.
func TestHistoryNeeds(t *testing.T) {
	for name, want := range map[string]time.Duration{"cn": 2 * 25 * time.Hour, "us": 8 * 25 * time.Hour} {
		if w, _, _ := mustPack(t, name).HistoryNeeds(); w != want {
			t.Errorf("%s: window %v, want %v", name, w, want)
		}
	}
	if _, n, _ := mustPack(t, "cn").HistoryNeeds(); n != 3 {
		t.Errorf("cn: %d debtor attempts, want 3 (cn.third_party.debtor_unreachable_only)", n)
	}
	reg, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	_, p, err := reg.WithPack("cel.yaml", []byte(`
pack: cel7
extends: cn
rules:
  - id: cel7.week
    category: frequency
    kind: cel
    citation: CBA 2026 指引
    confidence: R
    params: {condition: 'attempts_7d >= 20'}
    reason: {zh: "一周内不超过20次。", en: "At most 20 a week."}
`))
	if err != nil {
		t.Fatal(err)
	}
	if w, _, _ := p.HistoryNeeds(); w != 8*25*time.Hour {
		t.Errorf("a pack with a CEL rule: window %v", w)
	}
}

// An Evaluator decides as Evaluate does, whatever the history lengths before.
func TestEvaluatorAgrees(t *testing.T) {
	p := mustPack(t, "us")
	var ev Evaluator
	ny := "America/New_York"
	for _, n := range []int{100, 10, 300, 0, 65, 64, 200} {
		h := calls(n, "D1", Call, Connected, at(t, ny, "2026-11-20 09:00"))
		snap := &Snapshot{Debtor: DebtorInfo{ID: "D1", Location: mustLoc(t, ny)}, Parties: debtorOnly, History: h}
		a := &Attempt{Party: "D1", Channel: Call, At: at(t, ny, "2026-11-24 10:00"), Purpose: Collect, CallerIDRegistered: true}
		want, got := Evaluate(p, snap, a), ev.Evaluate(p, snap, a)
		if !slices.Equal(ruleIDs(want), ruleIDs(got)) || !want.NextAllowedAt.Equal(got.NextAllowedAt) {
			t.Errorf("%d contacts: Evaluate %v, Evaluator %v", n, ruleIDs(want), ruleIDs(got))
		}
	}
}
