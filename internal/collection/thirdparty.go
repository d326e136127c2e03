package collection

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/fairdebt/fairdebt/internal/audit"
	"github.com/fairdebt/fairdebt/internal/secret"
)

// Third parties: someone who received a collection call or message about
// somebody else proves they hold their number (a one-time code) and then
//
//   - objects: their number is suppressed on every case, present and future,
//     permanently. The suppression list holds the keyed hash of the number, never
//     the number. The gate treats any non-debtor party with a suppressed number as
//     one who objected (the packs' objection rules, category opt_out);
//   - reports what happened: when, from which number, what was said. A report
//     that matches no recorded attempt to their number is flagged as suspected
//     off-system contact, naming the agencies holding cases that have the number.

// ThirdPartyInput is what a third party submits with their code.
type ThirdPartyInput struct {
	Challenge, Code, Client string
	// Object suppresses the number on every case.
	Object bool
	// Report, when set, is what the person says happened.
	Report *ReportInput
}

// ReportInput is a third party's account of a contact.
type ReportInput struct {
	// At is when the call or message came.
	At time.Time
	// From is the number it came from, as the person saw it (optional).
	From string
	// Said is what was said or written (optional, at most 2,000 characters).
	Said string
}

// ThirdPartyResult says what was done.
type ThirdPartyResult struct {
	Objected bool
	// Report is the report's id and whether it matched a recorded attempt.
	ReportID string
	Matched  bool
}

// ReportWindow is how far from the reported time a recorded attempt matches.
const ReportWindow = 30 * time.Minute

// ThirdParty carries out a third party's objection and report, after checking
// the code that proves their number.
func (s *Service) ThirdParty(ctx context.Context, in ThirdPartyInput) (*ThirdPartyResult, error) {
	if !in.Object && in.Report == nil {
		return nil, invalid("", "nothing to do: object, report, or both", "请选择拒绝联系、举报或两者")
	}
	var fromV string
	if r := in.Report; r != nil {
		if r.At.IsZero() || r.At.After(s.now().Add(5*time.Minute)) || s.now().Sub(r.At) > 365*24*time.Hour {
			return nil, invalid("at", "the time of the call must be within the past year", "来电时间须在过去一年内")
		}
		if r.From != "" {
			v, err := NormalizeContact("phone", r.From)
			if err != nil {
				return nil, invalid("from", err.Error(), "来电号码格式不正确")
			}
			fromV = v
		}
		if err := checkText("said", strings.TrimSpace(r.Said), false, 2000); err != nil {
			return nil, err
		}
	}
	subject, err := s.checkCode(ctx, PurposeThirdParty, in.Challenge, in.Code, in.Client)
	if err != nil {
		return nil, err
	}
	hashes := strings.Split(subject, ",") // the number's forms (phoneForms)
	now := fromMS(ms(s.now()))
	res := &ThirdPartyResult{Objected: in.Object}
	err = s.db.Update(ctx, func(tx *sql.Tx) error {
		// The parties (never a debtor) on every case with this number.
		type held struct{ party, borrower, hash string }
		var parties []held
		for _, hash := range hashes {
			err := eachRow(ctx, tx, func(r *sql.Rows) error {
				h := held{hash: hash}
				if err := r.Scan(&h.party, &h.borrower); err != nil {
					return err
				}
				parties = append(parties, h)
				return nil
			}, `SELECT DISTINCT p.id, p.borrower_id FROM contact_methods m JOIN parties p ON p.id = m.party_id
				WHERE m.value_hash = $1 AND p.role <> 'debtor' ORDER BY p.id`, hash)
			if err != nil {
				return err
			}
		}
		if in.Object {
			for _, hash := range hashes {
				if _, err := tx.ExecContext(ctx, `INSERT INTO suppressions (hash, created_at) VALUES ($1, $2)
					ON CONFLICT (hash) DO NOTHING`, hash, ms(now)); err != nil {
					return err
				}
			}
			for _, h := range parties {
				r, err := tx.ExecContext(ctx, "UPDATE parties SET objected_at = $1 WHERE id = $2 AND objected_at IS NULL", ms(now), h.party)
				if err != nil {
					return err
				}
				if n, _ := r.RowsAffected(); n > 0 {
					if err := s.record(ctx, tx, audit.Event{Type: audit.TypeObjection, At: now, Actor: "third_party",
						Subject: map[string]string{"party": h.party, "borrower": h.borrower},
						Digests: map[string]string{"contact": h.hash}, Facts: map[string]any{"source": "third_party_page"}}); err != nil {
						return err
					}
				}
				s.forgetDebtor(h.borrower)
			}
		}
		if r := in.Report; r != nil {
			res.ReportID = newID("rpt")
			matched, agencies, err := s.matchReport(ctx, tx, hashes, r.At)
			if err != nil {
				return err
			}
			res.Matched = matched != ""
			fromEnc, fromMasked := "", ""
			if fromV != "" {
				fromEnc, fromMasked = s.keys.Seal("phone", fromV), secret.Mask("phone", fromV)
			}
			said := strings.TrimSpace(r.Said)
			if said != "" {
				said = s.keys.Seal("report", said)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO third_party_reports (id, hash, called_at, from_enc, from_masked, said_enc,
				matched_attempt, agencies, flagged, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
				res.ReportID, hashes[0], ms(r.At), fromEnc, fromMasked, said, matched, strings.Join(agencies, ","), matched == "", ms(now)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// matchReport finds a recorded attempt, allowed, to a party with the number,
// within ReportWindow of at: the contact the person reports was on the record.
// It also returns the agencies holding cases with the number, whom a report
// without a match names.
func (s *Service) matchReport(ctx context.Context, q querier, hashes []string, at time.Time) (attempt string, agencies []string, err error) {
	seen := map[string]bool{}
	for _, hash := range hashes {
		if attempt == "" {
			err = q.QueryRowContext(ctx, `SELECT a.id FROM attempts a JOIN contact_methods m ON m.party_id = a.party_id
				WHERE m.value_hash = $1 AND a.allowed AND a.at BETWEEN $2 AND $3
				AND (a.contact_method_id IS NULL OR a.contact_method_id = m.id)
				ORDER BY ABS(a.at - $4), a.id LIMIT 1`, hash, ms(at.Add(-ReportWindow)), ms(at.Add(ReportWindow)), ms(at)).Scan(&attempt)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return "", nil, err
			}
		}
		err = eachRow(ctx, q, func(r *sql.Rows) error {
			var a string
			if err := r.Scan(&a); err != nil {
				return err
			}
			if !seen[a] {
				seen[a] = true
				agencies = append(agencies, a)
			}
			return nil
		}, `SELECT DISTINCT c.agency_id FROM contact_methods m JOIN parties p ON p.id = m.party_id JOIN cases c ON c.borrower_id = p.borrower_id
			WHERE m.value_hash = $1 AND c.status <> 'closed' ORDER BY c.agency_id`, hash)
		if err != nil {
			return "", nil, err
		}
	}
	slices.Sort(agencies)
	return attempt, agencies, nil
}

// suppressedParty is the SQL condition that a party (aliased p) has a number
// a third party suppressed.
const suppressedParty = `EXISTS (SELECT 1 FROM contact_methods sm JOIN suppressions sx ON sx.hash = sm.value_hash WHERE sm.party_id = p.id)`

// Report is a third party's report as the lender's compliance staff and
// regulators see it.
type Report struct {
	ID       string    `json:"id"`
	CalledAt time.Time `json:"called_at"`
	// From is the number the call came from, masked.
	From           string    `json:"from,omitempty"`
	Said           string    `json:"said,omitempty"`
	MatchedAttempt string    `json:"matched_attempt,omitempty"`
	Agencies       []string  `json:"agencies"`
	Flagged        bool      `json:"flagged"`
	CreatedAt      time.Time `json:"created_at"`
}

// Reports lists third parties' reports, newest first (at most 500); with
// flaggedOnly, those that matched no recorded attempt. Roles that read every
// agency's cases may.
func (s *Service) Reports(ctx context.Context, p Principal, flaggedOnly bool) ([]Report, error) {
	if err := need(p, ActReadAll); err != nil {
		return nil, err
	}
	return collect(ctx, s.db.R, func(r *sql.Rows) (Report, error) {
		var rp Report
		var called, created int64
		var said, agencies string
		if err := r.Scan(&rp.ID, &called, &rp.From, &said, &rp.MatchedAttempt, &agencies, &rp.Flagged, &created); err != nil {
			return rp, err
		}
		rp.CalledAt, rp.CreatedAt = fromMS(called), fromMS(created)
		rp.Agencies = []string{}
		if agencies != "" {
			rp.Agencies = strings.Split(agencies, ",")
		}
		if said != "" {
			var err error
			if rp.Said, err = s.keys.Open("report", said); err != nil {
				return rp, err
			}
		}
		return rp, nil
	}, `SELECT id, called_at, from_masked, said_enc, matched_attempt, agencies, flagged, created_at FROM third_party_reports
		WHERE ($1 = FALSE OR flagged) ORDER BY created_at DESC, id DESC LIMIT 500`, flaggedOnly)
}
