package collection

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/fairdebt/fairdebt/internal/audit"
	"github.com/fairdebt/fairdebt/internal/policy"
)

// Repayment plans: a borrower proposes to repay a debt in monthly instalments of
// what they can afford; whoever works the debt's case accepts, counters with
// another monthly amount, or declines; the borrower accepts or declines a
// counter. While an accepted plan is kept the borrower carries the plan_active
// hold. An instalment left unpaid PlanGraceDays after its date ends the plan
// (broken); the last one paid completes it. Every step is an audit leaf.

// Plan states.
const (
	PlanProposed  = "proposed"
	PlanCountered = "countered"
	PlanDeclined  = "declined"
	PlanWithdrawn = "withdrawn"
	PlanActive    = "active"
	PlanCompleted = "completed"
	PlanBroken    = "broken"
)

// Plan actions: the borrower's propose-time withdraw, and accept or decline of a
// counter; the lender side's accept, counter and decline; the system's paid (the
// last instalment) and missed.
const (
	PlanActionAccept   = "accept"
	PlanActionCounter  = "counter"
	PlanActionDecline  = "decline"
	PlanActionWithdraw = "withdraw"
	PlanActionPaid     = "paid"
	PlanActionMissed   = "missed"
)

// PlanGraceDays is how many days after an instalment's date a plan survives it
// unpaid: fairdebt's default, no regulation sets it.
const PlanGraceDays = 7

// MaxPlanInstalments bounds a plan's length (five years of months).
const MaxPlanInstalments = 60

// NextPlanState is the state a plan moves to when side ("borrower", "lender" or
// "system") takes action in state, or ErrBadTransition. It is the whole state
// machine.
func NextPlanState(state, side, action string) (string, error) {
	switch {
	case state == PlanProposed && side == "lender" && action == PlanActionAccept:
		return PlanActive, nil
	case state == PlanProposed && side == "lender" && action == PlanActionCounter:
		return PlanCountered, nil
	case state == PlanProposed && side == "lender" && action == PlanActionDecline:
		return PlanDeclined, nil
	case state == PlanProposed && side == "borrower" && action == PlanActionWithdraw:
		return PlanWithdrawn, nil
	case state == PlanCountered && side == "borrower" && action == PlanActionAccept:
		return PlanActive, nil
	case state == PlanCountered && side == "borrower" && action == PlanActionDecline:
		return PlanDeclined, nil
	case state == PlanActive && side == "system" && action == PlanActionPaid:
		return PlanCompleted, nil
	case state == PlanActive && side == "system" && action == PlanActionMissed:
		return PlanBroken, nil
	}
	return "", ErrBadTransition
}

// PlanSchedule splits amount into monthly instalments of at most monthly from
// first (a date), the last one smaller. It fails beyond MaxPlanInstalments.
func PlanSchedule(amount, monthly int64, first time.Time) ([]Installment, error) {
	if amount <= 0 || monthly <= 0 {
		return nil, errors.New("amounts must be positive")
	}
	n := (amount + monthly - 1) / monthly
	if n > MaxPlanInstalments {
		return nil, fmt.Errorf("more than %d instalments: the monthly amount is too small for the debt", MaxPlanInstalments)
	}
	out := make([]Installment, 0, n)
	for i := int64(0); i < n; i++ {
		due := first.AddDate(0, int(i), 0)
		out = append(out, Installment{DueDate: due.Format(time.DateOnly), Amount: min(monthly, amount-i*monthly)})
	}
	return out, nil
}

// Plan is a repayment plan.
type Plan struct {
	ID          string        `json:"id"`
	BorrowerID  string        `json:"borrower_id"`
	DebtID      string        `json:"debt_id"`
	State       string        `json:"state"`
	Monthly     int64         `json:"monthly"`
	Instalments []Installment `json:"instalments"`
	// Note is the borrower's reason, or the counter's; stored sealed.
	Note      string    `json:"note,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// PlanInput proposes, or counters with, a plan: a monthly amount and the first
// instalment's date.
type PlanInput struct {
	DebtID  string
	Monthly int64
	First   string // YYYY-MM-DD
	Note    string
}

func (s *Service) planSchedule(ctx context.Context, p Principal, in PlanInput) (*Debt, []Installment, error) {
	d, err := s.Debt(ctx, p, in.DebtID)
	if err != nil {
		return nil, nil, err
	}
	if d.Outstanding <= 0 {
		return nil, nil, conflict("nothing is outstanding on this debt", "此债务没有未还金额")
	}
	first, err := checkDate("first", in.First)
	if err != nil {
		return nil, nil, err
	}
	if first.Before(s.now().AddDate(0, 0, -1)) {
		return nil, nil, invalid("first", "the first instalment cannot be in the past", "首期还款日不能早于今天")
	}
	if in.Monthly <= 0 {
		return nil, nil, invalid("monthly", "must be positive", "须为正数")
	}
	sched, err := PlanSchedule(d.Outstanding, in.Monthly, first)
	if err != nil {
		return nil, nil, invalid("monthly", err.Error(), fmt.Sprintf("分期不能超过 %d 期：月还款额过低", MaxPlanInstalments))
	}
	if err := checkText("note", in.Note, false, 1000); err != nil {
		return nil, nil, err
	}
	return d, sched, nil
}

// ProposePlan records a borrower's proposal. A debt has one open plan at a time.
func (s *Service) ProposePlan(ctx context.Context, p Principal, in PlanInput) (*Plan, error) {
	if !p.borrower() {
		return nil, &Error{Kind: Forbidden, EN: "a plan is proposed by the borrower", ZH: "还款计划须由借款人提出"}
	}
	d, sched, err := s.planSchedule(ctx, p, in)
	if err != nil {
		return nil, err
	}
	now := fromMS(ms(s.now()))
	pl := &Plan{ID: newID("pln"), BorrowerID: d.BorrowerID, DebtID: d.ID, State: PlanProposed, Monthly: in.Monthly, Instalments: sched,
		Note: in.Note, CreatedAt: now, UpdatedAt: now}
	err = s.db.Update(ctx, func(tx *sql.Tx) error {
		var open string
		err := tx.QueryRowContext(ctx, "SELECT id FROM plans WHERE debt_id = $1 AND state IN ('proposed', 'countered', 'active')", d.ID).Scan(&open)
		if err == nil {
			return conflict("this debt already has a plan under way ("+open+")", "此债务已有进行中的还款计划（"+open+"）")
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		data, _ := json.Marshal(sched)
		if _, err := tx.ExecContext(ctx, `INSERT INTO plans (id, borrower_id, debt_id, state, monthly, instalments, note, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`, pl.ID, pl.BorrowerID, pl.DebtID, pl.State, pl.Monthly, string(data), s.sealNote(pl.Note), ms(now)); err != nil {
			return err
		}
		return s.planLeaf(ctx, tx, pl, "", PlanProposed, actor(p), now)
	})
	if err != nil {
		return nil, err
	}
	return pl, nil
}

func (s *Service) planLeaf(ctx context.Context, tx *sql.Tx, pl *Plan, from, to, who string, at time.Time) error {
	return s.record(ctx, tx, audit.Event{Type: audit.TypePlan, At: at, Actor: who,
		Subject: map[string]string{"plan": pl.ID, "borrower": pl.BorrowerID, "debt": pl.DebtID},
		Facts:   map[string]any{"state": to, "from": from, "monthly": pl.Monthly, "instalments": int64(len(pl.Instalments))}})
}

// PlanAction takes a step on a plan. The lender side (whoever works the debt's
// case, or the lender's administrators) accepts, counters (with in: a new monthly
// amount and first date) or declines a proposal; the borrower accepts or declines
// a counter, or withdraws their proposal. Acceptance puts the plan_active hold on
// the borrower.
func (s *Service) PlanAction(ctx context.Context, p Principal, id, action string, counter *PlanInput) (*Plan, error) {
	pl, err := s.Plan(ctx, p, id)
	if err != nil {
		return nil, err
	}
	side := "borrower"
	if !p.borrower() {
		side = "lender"
		if err := s.worksDebt(ctx, p, pl.DebtID); err != nil {
			return nil, err
		}
	}
	next, err := NextPlanState(pl.State, side, action)
	if err != nil {
		return nil, err
	}
	if action == PlanActionCounter {
		if counter == nil {
			return nil, invalid("monthly", "a counter-proposal needs a monthly amount and a first date", "还价须给出月还款额和首期日期")
		}
		counter.DebtID = pl.DebtID
		_, sched, err := s.planSchedule(ctx, Principal{Admin: true}, *counter)
		if err != nil {
			return nil, err
		}
		pl.Monthly, pl.Instalments, pl.Note = counter.Monthly, sched, counter.Note
	}
	now := fromMS(ms(s.now()))
	err = s.db.Update(ctx, func(tx *sql.Tx) error {
		return s.movePlan(ctx, tx, pl, next, actor(p), now)
	})
	if err != nil {
		return nil, err
	}
	return s.Plan(ctx, p, id)
}

// movePlan records a plan's new state in tx, with its schedule, and puts on or
// lifts the plan_active hold.
func (s *Service) movePlan(ctx context.Context, tx *sql.Tx, pl *Plan, next, who string, now time.Time) error {
	var state string
	if err := tx.QueryRowContext(ctx, "SELECT state FROM plans WHERE id = $1", pl.ID).Scan(&state); err != nil {
		return err
	}
	if state != pl.State {
		return ErrBadTransition // moved meanwhile
	}
	data, _ := json.Marshal(pl.Instalments)
	if _, err := tx.ExecContext(ctx, "UPDATE plans SET state = $1, monthly = $2, instalments = $3, note = $4, updated_at = $5 WHERE id = $6",
		next, pl.Monthly, string(data), s.sealNote(pl.Note), ms(now), pl.ID); err != nil {
		return err
	}
	if err := s.planLeaf(ctx, tx, pl, pl.State, next, who, now); err != nil {
		return err
	}
	hold := policy.HoldPlanActive.String()
	switch {
	case next == PlanActive:
		if _, err := tx.ExecContext(ctx, `INSERT INTO holds (borrower_id, hold, note, created_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT DO NOTHING`, pl.BorrowerID, hold, "plan "+pl.ID, ms(now)); err != nil {
			return err
		}
	case pl.State == PlanActive:
		var others int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM plans WHERE borrower_id = $1 AND state = 'active' AND id <> $2",
			pl.BorrowerID, pl.ID).Scan(&others); err != nil {
			return err
		}
		if others == 0 {
			if _, err := tx.ExecContext(ctx, "DELETE FROM holds WHERE borrower_id = $1 AND hold = $2", pl.BorrowerID, hold); err != nil {
				return err
			}
		}
	}
	s.forgetDebtor(pl.BorrowerID)
	pl.State = next
	return nil
}

// sealNote seals a plan's note, which may say why the borrower cannot pay more.
func (s *Service) sealNote(note string) string {
	if note == "" {
		return ""
	}
	return s.keys.Seal("plan", note)
}

// worksDebt allows the lender's administrators, and those who work an open case
// holding the debt.
func (s *Service) worksDebt(ctx context.Context, p Principal, debtID string) error {
	if p.Can(ActManage) {
		return nil
	}
	if err := need(p, ActWork); err != nil {
		return err
	}
	var caseID string
	err := s.db.R.QueryRowContext(ctx, "SELECT id FROM cases WHERE debt_id = $1 AND status <> 'closed' ORDER BY created_at DESC LIMIT 1", debtID).Scan(&caseID)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("plan", debtID)
	}
	if err != nil {
		return err
	}
	if _, err := s.Case(ctx, p, caseID); err != nil {
		return notFound("plan", debtID)
	}
	return nil
}

// PayInstalment records that instalment i (from 0) of an active plan was paid;
// the last one completes the plan.
func (s *Service) PayInstalment(ctx context.Context, p Principal, id string, i int) (*Plan, error) {
	pl, err := s.Plan(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if p.borrower() {
		return nil, &Error{Kind: Forbidden, EN: "payments are recorded by the lender's side", ZH: "还款由贷款机构一方登记"}
	}
	if err := s.worksDebt(ctx, p, pl.DebtID); err != nil {
		return nil, err
	}
	if pl.State != PlanActive {
		return nil, ErrBadTransition
	}
	if i < 0 || i >= len(pl.Instalments) || pl.Instalments[i].Paid >= pl.Instalments[i].Amount {
		return nil, invalid("instalment", "no such unpaid instalment", "没有这一期未还的分期")
	}
	pl.Instalments[i].Paid = pl.Instalments[i].Amount
	now := fromMS(ms(s.now()))
	err = s.db.Update(ctx, func(tx *sql.Tx) error {
		all := true
		for _, in := range pl.Instalments {
			all = all && in.Paid >= in.Amount
		}
		if all {
			return s.movePlan(ctx, tx, pl, PlanCompleted, actor(p), now)
		}
		data, _ := json.Marshal(pl.Instalments)
		_, err := tx.ExecContext(ctx, "UPDATE plans SET instalments = $1, updated_at = $2 WHERE id = $3 AND state = 'active'", string(data), ms(now), id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Plan(ctx, p, id)
}

// BreakMissedPlans ends every active plan with an instalment unpaid more than
// PlanGraceDays after its date (in the borrower's time zone), as the system;
// it returns how many. serve runs it with the complaints' sweep.
func (s *Service) BreakMissedPlans(ctx context.Context) (int, error) {
	type active struct {
		plan *Plan
		tz   string
	}
	// One query: each plan with its borrower's zone.
	list, err := collect(ctx, s.db.R, func(r *sql.Rows) (active, error) {
		var a active
		var err error
		a.plan, err = s.scanPlan(r, &a.tz)
		return a, err
	}, "SELECT "+planColumns+", (SELECT timezone FROM borrowers b WHERE b.id = plans.borrower_id) FROM plans WHERE state = 'active' ORDER BY id")
	if err != nil {
		return 0, err
	}
	n := 0
	for _, a := range list {
		pl := a.plan
		zone, err := policy.LoadLocation(a.tz)
		if err != nil {
			return n, err
		}
		if !PlanMissed(pl.Instalments, s.now().In(zone)) {
			continue
		}
		now := fromMS(ms(s.now()))
		if err := s.db.Update(ctx, func(tx *sql.Tx) error { return s.movePlan(ctx, tx, pl, PlanBroken, "system", now) }); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// ReminderDays is how many days before an instalment's date a reminder of it
// may be sent: fairdebt's default, no regulation sets it.
const ReminderDays = 3

// InstalmentDue reports whether an unpaid instalment of schedule falls due within
// ReminderDays of now's calendar day, or is past its date (a plan still active
// is within its grace period), in now's location.
func InstalmentDue(schedule []Installment, now time.Time) bool {
	horizon := now.AddDate(0, 0, ReminderDays).Format(time.DateOnly)
	for _, in := range schedule {
		if in.Paid < in.Amount && in.DueDate <= horizon {
			return true
		}
	}
	return false
}

// checkReminder refuses the purpose remind unless the contact is the debtor and
// an instalment of an active plan on the case's debt is due (now in the debtor's
// zone): a reminder is not a way round what a pack says of collection.
func (s *Service) checkReminder(ctx context.Context, tx *sql.Tx, caseID string, role policy.Role, now time.Time) error {
	if role != policy.Debtor {
		return invalid("purpose", "a reminder of an instalment goes to the debtor only", "还款提醒只能发给借款人本人")
	}
	if due, err := dueOnCase(ctx, tx, caseID, now); err != nil || due {
		return err
	}
	return invalid("purpose", fmt.Sprintf("remind: no instalment of an active repayment plan on this debt is due within %d days", ReminderDays),
		fmt.Sprintf("还款提醒：该债务没有生效中的还款计划在 %d 天内有到期分期", ReminderDays))
}

// dueOnCase reports whether an instalment of an active plan on the case's debt
// is due (InstalmentDue, now in the borrower's zone).
func dueOnCase(ctx context.Context, q querier, caseID string, now time.Time) (bool, error) {
	schedules, err := collect(ctx, q, func(r *sql.Rows) ([]Installment, error) {
		var data string
		var schedule []Installment
		if err := r.Scan(&data); err != nil {
			return nil, err
		}
		return schedule, json.Unmarshal([]byte(data), &schedule)
	}, `SELECT instalments FROM plans WHERE state = 'active' AND debt_id = (SELECT debt_id FROM cases WHERE id = $1)`, caseID)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(schedules, func(s []Installment) bool { return InstalmentDue(s, now) }), nil
}

// ReminderDue reports whether the case's debtor may be sent a reminder of an
// instalment now (see InstalmentDue), to those who see the case.
func (s *Service) ReminderDue(ctx context.Context, p Principal, caseID string) (bool, error) {
	c, err := s.Case(ctx, p, caseID)
	if err != nil {
		return false, err
	}
	var tz string
	if err := s.db.R.QueryRowContext(ctx, "SELECT timezone FROM borrowers WHERE id = $1", c.BorrowerID).Scan(&tz); err != nil {
		return false, err
	}
	zone, err := policy.LoadLocation(tz)
	if err != nil {
		return false, err
	}
	return dueOnCase(ctx, s.db.R, caseID, s.now().In(zone))
}

// PlanMissed reports whether an instalment is unpaid more than PlanGraceDays
// after its date, on the calendar day of now (in now's location).
func PlanMissed(schedule []Installment, now time.Time) bool {
	today := now.Format(time.DateOnly)
	for _, in := range schedule {
		if in.Paid >= in.Amount {
			continue
		}
		due, err := time.Parse(time.DateOnly, in.DueDate)
		if err == nil && due.AddDate(0, 0, PlanGraceDays).Format(time.DateOnly) < today {
			return true
		}
	}
	return false
}

const planColumns = "id, borrower_id, debt_id, state, monthly, instalments, note, created_at, updated_at"

// scanPlan reads planColumns, and into extra any columns after them.
func (s *Service) scanPlan(r interface{ Scan(...any) error }, extra ...any) (*Plan, error) {
	var pl Plan
	var data string
	var created, updated int64
	dest := append([]any{&pl.ID, &pl.BorrowerID, &pl.DebtID, &pl.State, &pl.Monthly, &data, &pl.Note, &created, &updated}, extra...)
	if err := r.Scan(dest...); err != nil {
		return nil, err
	}
	pl.CreatedAt, pl.UpdatedAt = fromMS(created), fromMS(updated)
	if pl.Note != "" {
		var err error
		if pl.Note, err = s.keys.Open("plan", pl.Note); err != nil {
			return nil, err
		}
	}
	return &pl, json.Unmarshal([]byte(data), &pl.Instalments)
}

// Plan returns a plan to its borrower, to those who see the debt's borrower.
func (s *Service) Plan(ctx context.Context, p Principal, id string) (*Plan, error) {
	pl, err := s.scanPlan(s.db.R.QueryRowContext(ctx, "SELECT "+planColumns+" FROM plans WHERE id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("plan", id)
	}
	if err != nil {
		return nil, err
	}
	if err := s.borrowerVisible(ctx, s.db.R, p, pl.BorrowerID); err != nil {
		return nil, notFound("plan", id)
	}
	return pl, nil
}

// Plans lists a borrower's plans, newest first, to those who see the borrower.
func (s *Service) Plans(ctx context.Context, p Principal, borrowerID string) ([]Plan, error) {
	if err := s.borrowerVisible(ctx, s.db.R, p, borrowerID); err != nil {
		return nil, err
	}
	return collect(ctx, s.db.R, func(r *sql.Rows) (Plan, error) {
		pl, err := s.scanPlan(r)
		if err != nil {
			return Plan{}, err
		}
		return *pl, nil
	}, "SELECT "+planColumns+" FROM plans WHERE borrower_id = $1 ORDER BY created_at DESC, id DESC", borrowerID)
}
