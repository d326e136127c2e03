// Package demo seeds a synthetic dataset for `fairdebt serve --demo`: a lender,
// agencies, about two hundred borrowers and a history that puts some of them in
// every interesting state. Every name and number is made up: phone numbers use
// prefixes no real subscriber has (+86 100…, +1 …555-01xx).
package demo

import (
	"context"
	crand "crypto/rand"
	"encoding/base32"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"

	"golang.org/x/sync/errgroup"
	"time"

	"github.com/fairdebt/fairdebt/internal/clock"
	"github.com/fairdebt/fairdebt/internal/collection"
	"github.com/fairdebt/fairdebt/internal/notify"
	"github.com/fairdebt/fairdebt/internal/policy"
	"github.com/fairdebt/fairdebt/internal/secret"
	"github.com/fairdebt/fairdebt/internal/store"
)

// Config says where and how to seed.
type Config struct {
	DB    *store.DB
	Keys  *secret.Keys
	Packs *policy.Registry
	Pack  string    // the server's default pack
	Now   time.Time // the demo's present; history is placed before it
	// Borrowers is how many borrowers to create (200 when 0).
	Borrowers int
	// Seed makes the dataset reproducible (1 when 0).
	Seed uint64
}

// Result tells the operator how to reach the demo.
type Result struct {
	// Logins are the web UI's demo users, one per role (and a manager of the
	// second agency), with passwords generated for this run.
	Logins                            []Login
	AdminToken, AgencyID, AgencyToken string
	OtherAgencyToken                  string // the second approved agency
	UnapprovedAgencyToken             string // refused by the API
	SampleCase, SampleParty           string
	// SamplePhone is the sample borrower's phone number, to sign in to the portal with.
	SamplePhone         string
	Borrowers, Attempts int
}

// Login is a demo user of the web UI.
type Login struct{ Username, Role, AgencyID, Password string }

// The demo's fixed ids.
const (
	LenderID           = "demo-lender"
	AgencyID           = "demo-agency-a"
	OtherAgencyID      = "demo-agency-b"
	UnapprovedAgencyID = "demo-agency-x"
)

// State is the situation a demo borrower is put in.
type State int

// The states, assigned round-robin.
const (
	Fresh           State = iota // just assigned, nothing tried yet
	Unreachable                  // the last calls all failed: a consented contact may be asked to pass on a message
	Disputed                     // a dispute hold
	PlanActive                   // a repayment plan in good standing
	CappedToday                  // today's connected calls are used up
	Talked                       // a conversation yesterday
	ContactObjected              // an emergency contact said "never again"
	OptedOutSMS                  // the debtor opted out of SMS
	numStates
)

// Seed creates the dataset. It refuses to run twice on one database.
func Seed(ctx context.Context, c Config) (*Result, error) {
	if c.Borrowers == 0 {
		c.Borrowers = 200
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	clk := clock.NewManual(c.Now) // the seeding service's clock, moved to place history in the past
	outbox := notify.NewOutbox(0) // the seeding service's codes, read back by seedRights
	svc, err := collection.New(collection.Config{DB: c.DB, Keys: c.Keys, Packs: c.Packs, DefaultPack: c.Pack, Now: clk.Now, Notifier: outbox})
	if err != nil {
		return nil, err
	}
	admin := collection.Principal{Admin: true, Role: collection.RoleAdmin, Name: "demo"}
	if _, err := svc.Lender(ctx, admin, LenderID); err == nil {
		return nil, fmt.Errorf("this database already holds the demo dataset (its tokens were printed when it was created); use a new --data directory")
	}
	// Setup happens a month before now, so history can follow it.
	clk.Set(c.Now.AddDate(0, -1, 0))
	if _, err := svc.CreateLender(ctx, admin, collection.LenderInput{ID: LenderID, Name: "示例小额贷款有限公司 Demo Lending Co."}); err != nil {
		return nil, err
	}
	for _, a := range []collection.AgencyInput{
		{ID: AgencyID, Name: "守法催收服务 Lawful Recovery Services", Approved: true},
		{ID: OtherAgencyID, Name: "明理资产管理 Clearwater Asset Management", Approved: true},
		{ID: UnapprovedAgencyID, Name: "快收咨询 Quick Collect Consulting (not approved)", Approved: false},
	} {
		if _, err := svc.CreateAgency(ctx, admin, a); err != nil {
			return nil, err
		}
	}
	r := &Result{AgencyID: AgencyID, Borrowers: c.Borrowers}
	tokens := []struct {
		dst *string
		in  collection.TokenInput
	}{
		{&r.AdminToken, collection.TokenInput{Scope: collection.ScopeAdmin, Name: "demo admin"}},
		{&r.AgencyToken, collection.TokenInput{Scope: collection.ScopeAgency, AgencyID: AgencyID, Name: "demo dialer A"}},
		{&r.OtherAgencyToken, collection.TokenInput{Scope: collection.ScopeAgency, AgencyID: OtherAgencyID, Name: "demo dialer B"}},
		{&r.UnapprovedAgencyToken, collection.TokenInput{Scope: collection.ScopeAgency, AgencyID: UnapprovedAgencyID, Name: "demo dialer X"}},
	}
	for _, t := range tokens {
		if *t.dst, err = svc.IssueToken(ctx, t.in); err != nil {
			return nil, err
		}
	}
	for _, l := range []Login{
		{Username: "admin", Role: collection.RoleAdmin},
		{Username: "compliance", Role: collection.RoleCompliance},
		{Username: "manager.a", Role: collection.RoleAgencyManager, AgencyID: AgencyID},
		{Username: "collector.a", Role: collection.RoleCollector, AgencyID: AgencyID},
		{Username: "collector.a2", Role: collection.RoleCollector, AgencyID: AgencyID},
		{Username: "manager.b", Role: collection.RoleAgencyManager, AgencyID: OtherAgencyID},
		{Username: "regulator", Role: collection.RoleRegulator},
	} {
		l.Password = password()
		if _, err := svc.CreateUser(ctx, admin, collection.UserInput{Username: l.Username, Role: l.Role, AgencyID: l.AgencyID,
			Password: l.Password}); err != nil {
			return nil, err
		}
		r.Logins = append(r.Logins, l)
	}

	// People first (a month ago), in parallel so the group commit batches them.
	rng := rand.New(rand.NewPCG(c.Seed, 0xfa1d))
	people := make([]*person, c.Borrowers)
	for i := range people {
		people[i] = newPerson(rng, i, c.Pack)
	}
	var g errgroup.Group
	g.SetLimit(16)
	for _, p := range people {
		g.Go(func() error { return p.create(ctx, svc, admin, c.Now) })
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	r.SampleCase, r.SampleParty, r.SamplePhone = people[0].caseID, people[0].id, people[0].debtorPhone

	// History, in time order, one borrower at a time within each step.
	for day := 7; day >= 0; day-- {
		for _, hour := range []int{9, 11, 14, 16, 19} {
			for _, p := range people {
				n, err := p.historyAt(ctx, svc, admin, clk, c.Now, day, hour)
				if err != nil {
					return nil, err
				}
				r.Attempts += n
			}
		}
	}
	clk.Set(c.Now)
	for _, p := range people {
		if err := p.finish(ctx, svc, admin, c.Now); err != nil {
			return nil, err
		}
	}
	if err := seedRights(ctx, svc, clk, outbox, people, c.Now); err != nil {
		return nil, err
	}
	return r, nil
}

// seedRights gives the complaints list, the regulator view and the reports
// something to show: four complaints in different states (one left past its
// deadline, one rated unsatisfied, one due soon, one under investigation), and
// a third party who objects and reports a call that is on no record.
func seedRights(ctx context.Context, svc *collection.Service, clk *clock.Manual, outbox *notify.Outbox, people []*person, now time.Time) error {
	admin := collection.Principal{Admin: true, Role: collection.RoleAdmin, Name: "user:admin"}
	var talked []*person
	for _, p := range people {
		if p.state == Talked && p.country != "us" {
			talked = append(talked, p)
		}
	}
	complaints := []struct {
		daysAgo  int
		category string
		text     string
		steps    []string // the lender's, then the borrower's rating
	}{
		{20, "harassment", "一天打了十几个电话，还在晚上十点以后打。(demo)", nil},
		{13, "third_party", "催收员给我同事打电话，说了我欠款的事。(demo)", []string{collection.ActionAcknowledge}},
		{5, "threats", "对方说不还钱就去我单位闹。(demo)", []string{collection.ActionAcknowledge, collection.ActionInvestigate}},
		{8, "amount", "金额和合同不符，多收了服务费。(demo)", []string{collection.ActionRespond, collection.ActionUnsatisfied}},
	}
	for i, c := range complaints {
		if i >= len(talked) {
			break
		}
		p := talked[i]
		borrower := collection.Principal{Role: collection.RoleBorrower, Name: "borrower", BorrowerID: p.id}
		clk.Set(now.AddDate(0, 0, -c.daysAgo))
		cp, err := svc.FileComplaint(ctx, borrower, collection.ComplaintInput{CaseID: p.caseID, Category: c.category, Text: c.text})
		if err != nil {
			return err
		}
		for j, step := range c.steps {
			clk.Set(now.AddDate(0, 0, -c.daysAgo+j+1))
			who, note := admin, ""
			switch step {
			case collection.ActionRespond:
				note = "已核实合同金额，服务费按合同约定收取。(demo)"
			case collection.ActionUnsatisfied:
				who = borrower
			}
			if _, err := svc.ComplaintAction(ctx, who, cp.ID, step, note); err != nil {
				return err
			}
		}
	}
	clk.Set(now)
	if _, err := svc.EscalateOverdue(ctx); err != nil {
		return err
	}
	// A colleague of a Chinese borrower, called last night with no record of it.
	for _, p := range people {
		if p.thirdParty == "" || p.country == "us" {
			continue
		}
		ch, err := svc.SendCode(ctx, collection.CodeRequest{Purpose: collection.PurposeThirdParty, Kind: "phone", Value: p.phone(9), Client: "demo"})
		if err != nil {
			return err
		}
		msgs := outbox.Messages()
		code := codeIn.FindString(msgs[len(msgs)-1].Text)
		_, err = svc.ThirdParty(ctx, collection.ThirdPartyInput{Challenge: ch.ID, Code: code, Client: "demo", Object: true,
			Report: &collection.ReportInput{At: now.Add(-20 * time.Hour), From: "+8617000000000", Said: "说我同事欠钱不还，让我转告他，不然就去公司找他。(demo)"}})
		return err
	}
	return nil
}

var codeIn = regexp.MustCompile(`\d{6}`)

var (
	surnames = []string{"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林"}
	given    = []string{"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞", "平"}
	first    = []string{"Alex", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Avery", "Quinn", "Jamie", "Drew"}
	last     = []string{"Sample", "Example", "Testman", "Placeholder", "Fictive", "Demo"}
	usZones  = []struct{ tz, pack string }{
		{"America/New_York", "us-nyc"}, {"America/New_York", "us-ma"}, {"America/Chicago", "us"}, {"America/Los_Angeles", "us"},
	}
	relations = []string{"parent", "spouse", "sibling", "friend"}
)

type person struct {
	i                 int
	id, caseID, name  string
	tz, pack, country string
	state             State
	dpd               int
	contacts          []string // emergency contact party ids
	thirdParty        string
	lastAttempt       string
	debtorPhone       string
	rng               *rand.Rand
}

func newPerson(rng *rand.Rand, i int, defaultPack string) *person {
	p := &person{i: i, id: fmt.Sprintf("B%04d", i+1), state: State(i % int(numStates)),
		rng: rand.New(rand.NewPCG(uint64(i), rng.Uint64()))}
	if i%10 == 9 { // one in ten lives in the United States
		z := usZones[(i/10)%len(usZones)]
		p.tz, p.pack, p.country = z.tz, z.pack, "us"
		p.state = State((i / 10) % int(numStates)) // so the US borrowers cover every state too
		p.name = first[p.rng.IntN(len(first))] + " " + last[p.rng.IntN(len(last))]
	} else {
		p.tz, p.pack, p.country = "Asia/Shanghai", defaultPack, "cn"
		p.name = surnames[p.rng.IntN(len(surnames))] + given[p.rng.IntN(len(given))]
	}
	p.dpd = []int{3, 15, 31, 45, 75, 120, 200}[p.rng.IntN(7)]
	return p
}

// phone returns a number in a range no real subscriber has.
func (p *person) phone(k int) string {
	if p.country == "us" {
		return fmt.Sprintf("+1%03d55501%02d", 201+p.rng.IntN(700), (p.i*7+k)%100)
	}
	return fmt.Sprintf("+86100%04d%04d", p.i, k)
}

func (p *person) create(ctx context.Context, svc *collection.Service, admin collection.Principal, now time.Time) error {
	p.debtorPhone = p.phone(0)
	_, err := svc.CreateBorrower(ctx, admin, collection.BorrowerInput{ID: p.id, LenderID: LenderID, Name: p.name, Timezone: p.tz,
		Pack: p.pack, ContactMethods: []collection.ContactMethodInput{{Kind: "phone", Value: p.debtorPhone}}})
	if err != nil {
		return err
	}
	loc, _ := policy.LoadLocation(p.tz)
	today := now.In(loc)
	// Monthly installments, the first overdue by dpd days.
	firstDue := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, -p.dpd)
	amount := int64(50_000 + p.rng.IntN(20)*10_000)
	var inst []collection.InstallmentInput
	for k := range 6 {
		inst = append(inst, collection.InstallmentInput{DueDate: firstDue.AddDate(0, k, 0).Format(time.DateOnly), Amount: amount / 6})
	}
	currency := "CNY"
	if p.country == "us" {
		currency = "USD"
	}
	debt, err := svc.CreateDebt(ctx, admin, collection.DebtInput{ID: "L" + p.id[1:], BorrowerID: p.id, Currency: currency,
		Principal: amount, Fees: amount / 20, Installments: inst})
	if err != nil {
		return err
	}
	agency := AgencyID
	if p.i%4 == 3 {
		agency = OtherAgencyID
	}
	cs, err := svc.CreateCase(ctx, admin, collection.CaseInput{ID: "C" + p.id[1:], DebtID: debt.ID, AgencyID: agency})
	if err != nil {
		return err
	}
	p.caseID = cs.ID
	// Agency A's team: a third of its cases on each collector's worklist, a third
	// on nobody's yet.
	if agency == AgencyID && p.i%3 < 2 {
		if _, err := svc.AssignCase(ctx, admin, cs.ID, []string{"collector.a", "collector.a2"}[p.i%3]); err != nil {
			return err
		}
	}
	for k := range 1 + p.rng.IntN(2) {
		pt, err := svc.CreateParty(ctx, admin, collection.PartyInput{BorrowerID: p.id, Role: "emergency_contact",
			Name: surnames[p.rng.IntN(len(surnames))] + given[p.rng.IntN(len(given))], Relation: relations[p.rng.IntN(len(relations))],
			Consent:        &collection.ConsentInput{By: "party", Method: "recorded_call", Evidence: fmt.Sprintf("rec-%s-%d", p.id, k)},
			ContactMethods: []collection.ContactMethodInput{{Kind: "phone", Value: p.phone(k + 1)}}})
		if err != nil {
			return err
		}
		p.contacts = append(p.contacts, pt.ID)
	}
	if p.i%5 == 0 { // a colleague the debtor listed as a reference: never to be called about the debt
		pt, err := svc.CreateParty(ctx, admin, collection.PartyInput{BorrowerID: p.id, Role: "third_party", Name: "同事 Colleague",
			Relation: "colleague", Consent: &collection.ConsentInput{By: "debtor", Method: "in_app", Evidence: "loan-application-form"},
			ContactMethods: []collection.ContactMethodInput{{Kind: "phone", Value: p.phone(9)}}})
		if err != nil {
			return err
		}
		p.thirdParty = pt.ID
	}
	return nil
}

// historyAt makes the contacts this person's state calls for at hour (local) on
// the day that is `day` days before now, if that moment is in the past.
func (p *person) historyAt(ctx context.Context, svc *collection.Service, admin collection.Principal, clk *clock.Manual, now time.Time, day, hour int) (int, error) {
	loc, _ := policy.LoadLocation(p.tz)
	local := now.In(loc)
	at := time.Date(local.Year(), local.Month(), local.Day()-day, hour, 0, 0, 0, loc)
	if !at.Before(now) {
		return 0, nil
	}
	var results []string
	switch {
	case p.state == Unreachable && day <= 1:
		results = []string{"no_answer"}
	case p.state == CappedToday && day == 0 && hour <= 14:
		results = []string{"connected"}
	case p.state == Talked && day == 1 && hour == 11:
		results = []string{"connected"}
	case p.state == Fresh:
		return 0, nil
	case day >= 3 && hour == 11 && p.rng.IntN(3) == 0:
		results = []string{[]string{"no_answer", "busy", "connected", "voicemail"}[p.rng.IntN(4)]}
	}
	n := 0
	for _, res := range results {
		clk.Set(at)
		a, err := svc.Decide(ctx, admin, collection.AttemptInput{CaseID: p.caseID, PartyID: p.id, Channel: "call",
			Message: "您好，这里是守法催收服务，关于您的借款还款事宜。"})
		if err != nil {
			return n, err
		}
		n++
		if a.Allowed {
			clk.Set(at.Add(3 * time.Minute))
			if _, err := svc.Outcome(ctx, admin, a.ID, res); err != nil {
				return n, err
			}
			if res == "connected" {
				if err := p.promise(ctx, svc, admin, at, now); err != nil {
					return n, err
				}
			}
		}
		p.lastAttempt = a.ID
	}
	return n, nil
}

// promise records the promise to pay a connected call ends with, due two days
// later; of those already due, three in five were kept and the rest are broken.
func (p *person) promise(ctx context.Context, svc *collection.Service, admin collection.Principal, at, now time.Time) error {
	due := at.AddDate(0, 0, 2)
	pr, err := svc.CreatePromise(ctx, admin, p.caseID, collection.PromiseInput{Amount: int64(200+p.i%8*100) * 100,
		DueDate: due.Format(time.DateOnly)})
	if err != nil || !due.Before(now) || p.i%5 >= 3 {
		return err
	}
	_, err = svc.SetPromiseStatus(ctx, admin, pr.ID, collection.PromiseKept)
	return err
}

// finish applies the states that are not history: holds, objections, opt-outs,
// and an accepted repayment plan (which puts on the plan_active hold).
func (p *person) finish(ctx context.Context, svc *collection.Service, admin collection.Principal, now time.Time) error {
	var err error
	switch p.state {
	case Disputed:
		_, err = svc.CreateHold(ctx, admin, p.id, collection.HoldInput{Hold: "dispute", Note: "debtor disputes the amount (demo)"})
	case PlanActive:
		borrower := collection.Principal{Role: collection.RoleBorrower, Name: "borrower", BorrowerID: p.id}
		var d *collection.Debt
		if d, err = svc.Debt(ctx, admin, "L"+p.id[1:]); err != nil {
			return err
		}
		var pl *collection.Plan
		pl, err = svc.ProposePlan(ctx, borrower, collection.PlanInput{DebtID: d.ID, Monthly: (d.Outstanding + 2) / 3,
			First: now.AddDate(0, 0, 5).Format(time.DateOnly), Note: "3-month plan (demo)"})
		if err == nil {
			_, err = svc.PlanAction(ctx, admin, pl.ID, collection.PlanActionAccept, nil)
		}
	case ContactObjected:
		_, err = svc.UpdateParty(ctx, admin, p.contacts[0], collection.PartyUpdate{Objected: true})
	case OptedOutSMS:
		_, err = svc.CreateOptOut(ctx, admin, collection.OptOutInput{PartyID: p.id, Channel: "sms", Source: "sms_reply"})
	}
	return err
}

// password returns a fresh 16-character password for a demo login.
func password() string {
	b := make([]byte, 10)
	if _, err := crand.Read(b); err != nil {
		panic("demo: no randomness: " + err.Error())
	}
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}
