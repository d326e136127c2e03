package main

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/fairdebt/fairdebt/internal/policy"
)

// Case is one generated request in fairdebt's own types: the snapshot of a case
// and the proposed attempt.
type Case struct {
	Snapshot policy.Snapshot
	Attempt  policy.Attempt
}

// zones are the debtors' time zones of a pack, the usual one listed several
// times. The others bring other offsets (half and quarter hours) and DST rules.
var zones = map[string][]string{
	"cn": {"Asia/Shanghai", "Asia/Shanghai", "Asia/Shanghai", "Asia/Shanghai", "Asia/Shanghai",
		"Asia/Urumqi", "America/New_York", "Europe/London", "Asia/Kolkata", "Australia/Lord_Howe"},
	"us": {"America/New_York", "America/New_York", "America/New_York", "America/New_York", "America/New_York",
		"America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles", "America/Anchorage",
		"Pacific/Honolulu", "America/St_Johns", "Asia/Kathmandu"},
}

// zonesFor returns the zones of a pack; an overlay takes its base's.
func zonesFor(pack string) []string {
	if z, ok := zones[pack]; ok {
		return z
	}
	return zones["us"]
}

// days are local dates the attempts cluster on: New York's DST changes of 2026
// and 2027 and the days around them (Lord Howe's and London's fall near
// them too), the turn of 2027 (us-nyc's cap changes on 2027-01-01) and an
// ordinary week.
var days = []string{
	"2026-03-07", "2026-03-08", "2026-03-09", "2026-03-29", "2026-04-05",
	"2026-10-04", "2026-10-25", "2026-10-31", "2026-11-01", "2026-11-02",
	"2026-11-24", "2026-11-25", "2026-12-30", "2026-12-31", "2027-01-01",
	"2027-01-02", "2027-03-13", "2027-03-14", "2027-03-15", "2027-11-06",
	"2027-11-07", "2027-11-08",
}

// edges are minutes of the day next to the packs' quiet hours, midnight and the
// hours a DST change skips or repeats.
var edges = []int{0, 1, 59, 60, 90, 119, 120, 121, 150, 179, 180, 181, 479, 480, 481, 720,
	1259, 1260, 1261, 1319, 1320, 1321, 1380, 1438, 1439}

// windows are inconvenient times the debtors name, some past midnight.
var windows = []policy.TimeWindow{
	{Start: 9 * 60, End: 17 * 60}, {Start: 12 * 60, End: 13*60 + 30}, {Start: 22 * 60, End: 6 * 60},
	{Start: 23*60 + 30, End: 7 * 60}, {Start: 18 * 60, End: 18*60 + 30}, {Start: 0, End: 8*60 + 30},
	{Start: 20 * 60, End: 0},
}

// lawful are synthetic messages that break no content rule toward anyone;
// others reveal the debt (unlawful toward a third party only) or are
// prohibited, in Chinese and English.
var lawful = []string{
	"",
	"您好，请方便时回电。",
	"Please call us back at your convenience.",
	"Hi, this is Alex. Could you ask Sam to call me back about a personal business matter?",
	"请转告他尽快回电，谢谢。",
	"这件衣服你全家穿都好看",
}

var others = []string{
	"Your payment is overdue",
	"他的欠款逾期了",
	"张先生您好，这里是某某消费金融公司客户服务中心。您的账户本期应还款项尚未结清，可以回电与我们协商分期或延期方案。",
	"我们是法院的，明天来抓你",
	"再不还钱就让你全家好看",
	"你这个老赖",
	"你这个老 赖",
	"WE WILL HAVE YOU ARRESTED",
	"We will tell your employer",
	"再不还款就爆通讯录，移交公安",
	"你是担保人，必须替他还",
	"可以去别的平台借钱还",
	"需要另付上门费",
	"this is the police",
	"I will break your legs",
	"去小额贷款公司借一笔先还上",
}

var results = []policy.Result{policy.Pending, policy.Connected, policy.NoAnswer, policy.Busy, policy.Voicemail,
	policy.InvalidNumber, policy.Failed, policy.Delivered, policy.Replied}

// resultWeights are per-request profiles of contact outcomes, in the order of
// results: mostly conversations, mostly failures, anything.
var resultWeights = [][]int{
	{10, 50, 15, 5, 10, 2, 3, 3, 2},
	{2, 5, 30, 20, 15, 10, 15, 2, 1},
	{1, 1, 1, 1, 1, 1, 1, 1, 1},
}

var channels = []policy.Channel{policy.Call, policy.SMS, policy.IM, policy.Email, policy.Letter, policy.Visit, policy.SocialPost}

var holds = []policy.Hold{policy.HoldDispute, policy.HoldCease, policy.HoldAttorney, policy.HoldDeceased,
	policy.HoldBankrupt, policy.HoldHospitalized, policy.HoldPlanActive, policy.HoldPaid}

type gen struct {
	r    *rand.Rand
	pack string
}

// pick returns an index drawn with the given weights.
func (g *gen) pick(weights ...int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	x := g.r.IntN(total)
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

// Generate returns n requests for pack, the same ones for the same seed.
func Generate(pack string, n int, seed uint64) ([]Case, error) {
	g := &gen{r: rand.New(rand.NewPCG(seed, uint64(len(pack))*0x9e3779b97f4a7c15)), pack: pack}
	out := make([]Case, n)
	for i := range out {
		if err := g.one(&out[i], i); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (g *gen) one(c *Case, seq int) error {
	zs := zonesFor(g.pack)
	loc, err := policy.LoadLocation(zs[g.r.IntN(len(zs))])
	if err != nil {
		return err
	}
	s := &c.Snapshot
	debtor := fmt.Sprintf("D-%05d", seq)
	s.Debtor = policy.DebtorInfo{ID: debtor, Location: loc}
	for _, h := range holds {
		if g.chance(0.07) {
			s.Debtor.Holds = s.Debtor.Holds.With(h)
		}
	}
	switch g.pick(60, 30, 10) {
	case 1:
		s.Debtor.Inconvenient = []policy.TimeWindow{g.window()}
	case 2:
		s.Debtor.Inconvenient = []policy.TimeWindow{g.window(), g.window()}
	}

	// The parties: the debtor, up to 7 emergency contacts (more than 5 is an
	// ingested address book in cn), up to 2 unrelated people, maybe an attorney.
	s.Parties = []policy.Party{{ID: debtor, Role: policy.Debtor}}
	var ecs, tps, atts []string
	nEC := []int{0, 1, 2, 3, 3, 4, 5, 6, 7}[g.r.IntN(9)]
	for k := range nEC {
		id := fmt.Sprintf("EC-%d", k+1)
		s.Parties = append(s.Parties, policy.Party{ID: id, Role: policy.EmergencyContact,
			Consent: g.chance(0.75), Objected: g.chance(0.12), Relation: "relative"})
		ecs = append(ecs, id)
	}
	for k := range g.r.IntN(3) {
		id := fmt.Sprintf("TP-%d", k+1)
		s.Parties = append(s.Parties, policy.Party{ID: id, Role: policy.ThirdParty,
			Consent: g.chance(0.2), Objected: g.chance(0.2), Relation: "colleague"})
		tps = append(tps, id)
	}
	if g.chance(0.3) {
		s.Parties = append(s.Parties, policy.Party{ID: "A-1", Role: policy.Attorney, Objected: g.chance(0.15)})
		atts = append(atts, "A-1")
	}

	// The attempt: who, how, why, when.
	a := &c.Attempt
	a.Party = debtor
	switch g.pick(50, 25, 10, 6, 4) {
	case 1:
		if len(ecs) > 0 {
			a.Party = ecs[g.r.IntN(len(ecs))]
		}
	case 2:
		if len(tps) > 0 {
			a.Party = tps[g.r.IntN(len(tps))]
		}
	case 3:
		if len(atts) > 0 {
			a.Party = atts[0]
		}
	case 4:
		// Not in the snapshot: Evaluate treats the person as an unrelated third
		// party with no consent (DecodeRequest would refuse the request).
		a.Party = "X-UNKNOWN"
	}
	a.Channel = channels[g.pick(45, 15, 5, 5, 8, 12, 5)]
	a.Purpose = []policy.Purpose{policy.Collect, policy.Locate, policy.Remind}[g.pick(55, 35, 10)]
	a.Message = g.message()
	if g.chance(0.1) {
		a.Message += " " + g.message()
	}
	a.Collectors = g.r.IntN(4)
	a.CallerIDRegistered = g.chance(0.9)
	a.At = g.attemptTime(loc, s.Debtor.Inconvenient)

	// Opt-outs: a few at random, and sometimes the attempt's own person and channel.
	for range g.r.IntN(3) {
		p := s.Parties[g.r.IntN(len(s.Parties))].ID
		s.OptOuts = append(s.OptOuts, policy.OptOut{Party: p, Channel: channels[g.r.IntN(len(channels))]})
	}
	if g.chance(0.06) {
		s.OptOuts = append(s.OptOuts, policy.OptOut{Party: a.Party, Channel: a.Channel})
	}

	g.history(c)
	return nil
}

func (g *gen) message() string {
	if g.chance(0.6) {
		return lawful[g.r.IntN(len(lawful))]
	}
	return others[g.r.IntN(len(others))]
}

func (g *gen) window() policy.TimeWindow {
	if g.chance(0.7) {
		return windows[g.r.IntN(len(windows))]
	}
	start := g.r.IntN(24*60/15) * 15
	end := g.r.IntN(24*60/15) * 15
	if end == start {
		end = (start + 45) % (24 * 60)
	}
	return policy.TimeWindow{Start: start, End: end}
}

// attemptTime draws a local date (often a DST change or the turn of 2027) and a
// time of day (often next to quiet hours, midnight or an inconvenient time,
// else mostly in the daytime).
func (g *gen) attemptTime(loc *time.Location, inconvenient []policy.TimeWindow) time.Time {
	var y, d int
	var m time.Month
	if g.chance(0.6) {
		t, _ := time.Parse(time.DateOnly, days[g.r.IntN(len(days))])
		y, m, d = t.Date()
	} else {
		t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, g.r.IntN(730))
		y, m, d = t.Date()
	}
	var minute int
	switch {
	case len(inconvenient) > 0 && g.chance(0.3):
		w := inconvenient[g.r.IntN(len(inconvenient))]
		minute = []int{w.Start - 1, w.Start, w.End - 1, w.End}[g.r.IntN(4)]
		minute = (minute + 24*60) % (24 * 60)
	case g.chance(0.25):
		minute = edges[g.r.IntN(len(edges))]
	case g.chance(0.75):
		minute = 8*60 + g.r.IntN(13*60) // 08:00 to 20:59, outside both packs' quiet hours
	default:
		minute = g.r.IntN(24 * 60)
	}
	sec := 0
	if g.chance(0.3) {
		sec = g.r.IntN(60)
	}
	// A wall time that a DST change skips is normalised by time.Date.
	return time.Date(y, m, d, minute/60, minute%60, sec, 0, loc)
}

// history adds 0 to 60 earlier contacts: with the attempt's person, the debtor
// or anyone, mostly on the attempt's channel or by call, many on the attempt's
// local day or the week before, a few later than the attempt (the same local
// day or after), some at the very same second as another.
func (g *gen) history(c *Case) {
	s, a := &c.Snapshot, &c.Attempt
	var n int
	switch g.pick(10, 20, 70) {
	case 1:
		n = 1 + g.r.IntN(5)
	case 2:
		n = 6 + g.r.IntN(55)
	}
	profile := resultWeights[g.r.IntN(len(resultWeights))]
	sameDay := []float64{0.05, 0.3, 0.7}[g.r.IntN(3)]
	y, mo, d := a.At.Date()
	midnight := time.Date(y, mo, d, 0, 0, 0, 0, a.At.Location())
	for k := range n {
		var h policy.Contact
		switch g.pick(50, 30, 20) {
		case 0:
			h.Party = a.Party
		case 1:
			h.Party = s.Debtor.ID
		default:
			h.Party = s.Parties[g.r.IntN(len(s.Parties))].ID
		}
		switch g.pick(45, 35, 20) {
		case 0:
			h.Channel = a.Channel
		case 1:
			h.Channel = policy.Call
		default:
			h.Channel = channels[g.r.IntN(len(channels))]
		}
		h.Result = results[g.pick(profile...)]
		switch {
		case k > 0 && g.chance(0.05):
			h.At = s.History[g.r.IntN(k)].At // the same second as another contact
		case g.chance(0.03):
			h.At = a.At
		case g.chance(0.05):
			// Later than the attempt, the same local day or the next: a replay
			// of the past can see contacts made after the attempt's time.
			h.At = a.At.Add(time.Duration(1+g.r.IntN(36*60)) * time.Minute)
		case g.chance(0.2):
			// Within 90 minutes of a local midnight, mostly those that bound the
			// caps' windows, where a wrong offset (a DST change in between) would
			// move the contact to another day.
			m := time.Date(y, mo, d-[]int{0, 0, 0, 1, 3, 6, 6, 7, 7}[g.r.IntN(9)], 0, 0, 0, 0, a.At.Location())
			h.At = m.Add(time.Duration(g.r.IntN(180*60)-90*60) * time.Second)
		case g.chance(sameDay):
			// From two hours before the attempt's local midnight to the attempt.
			from := midnight.Add(-2 * time.Hour)
			span := a.At.Sub(from)
			if span <= 0 {
				span = time.Minute
			}
			h.At = from.Add(time.Duration(g.r.Int64N(int64(span)/int64(time.Second))) * time.Second)
		case g.chance(0.7):
			h.At = a.At.Add(-time.Duration(g.r.IntN(9*24*60)) * time.Minute)
		default:
			h.At = a.At.Add(-time.Duration(g.r.IntN(40*24*60)) * time.Minute)
		}
		if g.chance(0.5) {
			h.At = h.At.In(time.UTC) // contacts recorded in another zone
		}
		s.History = append(s.History, h)
	}
}
