// Package api is fairdebt's JSON API: huma operations on net/http, with the OpenAPI
// 3.1 document at /openapi.json and its rendering at /docs.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/fairdebt/fairdebt/internal/audit"
	"github.com/fairdebt/fairdebt/internal/collection"
	"github.com/fairdebt/fairdebt/internal/policy"
	"github.com/fairdebt/fairdebt/internal/screen"
)

// Version is the API version in the OpenAPI document.
const Version = "0.1.0"

type server struct {
	svc     *collection.Service
	log     *slog.Logger
	metrics *metrics
}

type principalKey struct{}

func principal(ctx context.Context) collection.Principal {
	p, _ := ctx.Value(principalKey{}).(collection.Principal)
	return p
}

// New returns the HTTP handler of the whole API: /v1 operations, /openapi.json,
// /docs, /healthz and /metrics. Metrics are registered with reg.
func New(svc *collection.Service, log *slog.Logger, reg *prometheus.Registry) http.Handler {
	mux := http.NewServeMux()
	cfg := huma.DefaultConfig("fairdebt", Version)
	cfg.Info.Description = "Lawful debt collection: every contact attempt passes the compliance gate and is recorded. " +
		"合规催收：每一次联系都须经过合规闸门并留存记录。"
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"bearer": {Type: "http", Scheme: "bearer", Description: "an API token (fdt_...)"},
	}
	cfg.Security = []map[string][]string{{"bearer": {}}}
	cfg.CreateHooks = nil // no $schema links in responses: clients get exactly the documented fields
	hapi := humago.New(mux, cfg)
	s := &server{svc: svc, log: log, metrics: newMetrics(reg)}
	hapi.UseMiddleware(s.authenticate(hapi))
	s.register(hapi)

	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	return mux
}

// authenticate admits requests with a valid bearer token to every /v1 operation.
func (s *server) authenticate(hapi huma.API) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		if !strings.HasPrefix(ctx.Operation().Path, "/v1/") {
			next(ctx)
			return
		}
		auth := ctx.Header("Authorization")
		token, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok || token == "" {
			ctx.SetHeader("WWW-Authenticate", `Bearer realm="fairdebt"`)
			_ = huma.WriteErr(hapi, ctx, http.StatusUnauthorized, "an API token is required: Authorization: Bearer fdt_...")
			return
		}
		p, err := s.svc.Authenticate(ctx.Context(), token)
		if err != nil {
			status := http.StatusUnauthorized
			if err == collection.ErrBadToken {
				ctx.SetHeader("WWW-Authenticate", `Bearer realm="fairdebt", error="invalid_token"`)
			} else {
				status = http.StatusForbidden
			}
			if collection.IsKind(err, collection.Forbidden) {
				_ = huma.WriteErr(hapi, ctx, status, err.Error())
			} else {
				s.log.Error("authentication failed", "err", err)
				_ = huma.WriteErr(hapi, ctx, http.StatusServiceUnavailable, "cannot check the token now")
			}
			return
		}
		next(huma.WithValue(ctx, principalKey{}, p))
	}
}

// Request and response shapes shared by many operations.
type (
	idPath struct {
		ID string `path:"id" maxLength:"64"`
	}
	pageQuery struct {
		Limit int    `query:"limit" minimum:"0" maximum:"1000" doc:"at most this many items (100 when 0)"`
		After string `query:"after" maxLength:"64" doc:"only items whose id sorts after this one"`
	}
	body[T any] struct {
		Body T
	}
	itemsBody[T any] struct {
		Body struct {
			Items []T `json:"items"`
		}
	}
	noContent struct{}
)

func items[T any](v []T, err error) (*itemsBody[T], error) {
	if err != nil {
		return nil, err
	}
	out := &itemsBody[T]{}
	out.Body.Items = v
	return out, nil
}

func one[T any](v *T, err error) (*body[T], error) {
	if err != nil {
		return nil, err
	}
	return &body[T]{Body: *v}, nil
}

// op is shorthand for an operation with the usual responses.
func op(id, method, path, summary string, tags ...string) huma.Operation {
	status := http.StatusOK
	if method == http.MethodPost {
		status = http.StatusCreated
	}
	if method == http.MethodDelete {
		status = http.StatusNoContent
	}
	return huma.Operation{OperationID: id, Method: method, Path: path, Summary: summary, Tags: tags,
		DefaultStatus: status, MaxBodyBytes: 1 << 20,
		Errors: []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound,
			http.StatusConflict, http.StatusUnprocessableEntity}}
}

// wrap runs a service call with the caller's principal and turns its error into a
// problem document.
func wrap[I, O any](s *server, f func(ctx context.Context, p collection.Principal, in *I) (*O, error)) func(context.Context, *I) (*O, error) {
	return func(ctx context.Context, in *I) (*O, error) {
		out, err := f(ctx, principal(ctx), in)
		if err != nil {
			return nil, s.problem(err)
		}
		return out, nil
	}
}

func (s *server) register(a huma.API) {
	svc := s.svc
	page := func(q pageQuery) collection.Page { return collection.Page{Limit: q.Limit, After: q.After} }

	// Lenders and agencies.
	huma.Register(a, op("create-lender", http.MethodPost, "/v1/lenders", "Add a lender", "lenders"),
		wrap(s, func(ctx context.Context, p collection.Principal, in *body[collection.LenderInput]) (*body[collection.Lender], error) {
			return one(svc.CreateLender(ctx, p, in.Body))
		}))
	huma.Register(a, op("list-lenders", http.MethodGet, "/v1/lenders", "List lenders", "lenders"),
		wrap(s, func(ctx context.Context, p collection.Principal, in *pageQuery) (*itemsBody[collection.Lender], error) {
			return items(svc.Lenders(ctx, p, page(*in)))
		}))
	huma.Register(a, op("get-lender", http.MethodGet, "/v1/lenders/{id}", "Get a lender", "lenders"),
		wrap(s, func(ctx context.Context, p collection.Principal, in *idPath) (*body[collection.Lender], error) {
			return one(svc.Lender(ctx, p, in.ID))
		}))
	type lenderPack struct {
		ID   string `path:"id" maxLength:"64"`
		Body struct {
			Pack             string `json:"pack" maxLength:"64" doc:"rule pack for the lender's borrowers; empty for the server's default"`
			ApplyToBorrowers bool   `json:"apply_to_borrowers,omitempty" doc:"move every borrower the lender has now to the pack too (the pack must then be named)"`
		}
	}
	type lenderPackChange struct {
		Body struct {
			Lender         collection.Lender `json:"lender"`
			BorrowersMoved int64             `json:"borrowers_moved"`
		}
	}
	huma.Register(a, op("update-lender", http.MethodPatch, "/v1/lenders/{id}", "Choose the rule pack of a lender's borrowers (an audit event)", "lenders"),
		wrap(s, func(ctx context.Context, p collection.Principal, in *lenderPack) (*lenderPackChange, error) {
			l, n, err := svc.SetLenderPack(ctx, p, in.ID, in.Body.Pack, in.Body.ApplyToBorrowers)
			if err != nil {
				return nil, err
			}
			out := &lenderPackChange{}
			out.Body.Lender, out.Body.BorrowersMoved = *l, n
			return out, nil
		}))
	huma.Register(a, op("create-agency", http.MethodPost, "/v1/agencies", "Add a collection agency", "agencies"),
		wrap(s, func(ctx context.Context, p collection.Principal, in *body[collection.AgencyInput]) (*body[collection.Agency], error) {
			return one(svc.CreateAgency(ctx, p, in.Body))
		}))
	huma.Register(a, op("list-agencies", http.MethodGet, "/v1/agencies", "List agencies", "agencies"),
		wrap(s, func(ctx context.Context, p collection.Principal, in *pageQuery) (*itemsBody[collection.Agency], error) {
			return items(svc.Agencies(ctx, p, page(*in)))
		}))
	huma.Register(a, op("get-agency", http.MethodGet, "/v1/agencies/{id}", "Get an agency", "agencies"),
		wrap(s, func(ctx context.Context, p collection.Principal, in *idPath) (*body[collection.Agency], error) {
			return one(svc.Agency(ctx, p, in.ID))
		}))
	type approval struct {
		ID   string `path:"id" maxLength:"64"`
		Body struct {
			Approved bool `json:"approved" doc:"on the approved list (white list) or not"`
		}
	}
	huma.Register(a, op("update-agency", http.MethodPatch, "/v1/agencies/{id}", "Approve an agency or take it off the approved list", "agencies"),
		wrap(s, func(ctx context.Context, p collection.Principal, in *approval) (*body[collection.Agency], error) {
			return one(svc.SetAgencyApproved(ctx, p, in.ID, in.Body.Approved))
		}))

	// Borrowers, debts, holds.
	huma.Register(a, op("create-borrower", http.MethodPost, "/v1/borrowers", "Add a borrower (and the debtor party)", "borrowers"),
		wrap(s, func(ctx context.Context, p collection.Principal, in *body[collection.BorrowerInput]) (*body[collection.Borrower], error) {
			return one(svc.CreateBorrower(ctx, p, in.Body))
		}))
	huma.Register(a, op("list-borrowers", http.MethodGet, "/v1/borrowers", "List borrowers", "borrowers"),
		wrap(s, func(ctx context.Context, p collection.Principal, in *pageQuery) (*itemsBody[collection.Borrower], error) {
			return items(svc.Borrowers(ctx, p, page(*in)))
		}))
	huma.Register(a, op("get-borrower", http.MethodGet, "/v1/borrowers/{id}", "Get a borrower", "borrowers"),
		wrap(s, func(ctx context.Context, p collection.Principal, in *idPath) (*body[collection.Borrower], error) {
			return one(svc.Borrower(ctx, p, in.ID))
		}))
	huma.Register(a, op("list-borrower-debts", http.MethodGet, "/v1/borrowers/{id}/debts", "List a borrower's debts", "debts"),
		wrap(s, func(ctx context.Context, p collection.Principal, in *idPath) (*itemsBody[collection.Debt], error) {
			return items(svc.Debts(ctx, p, in.ID))
		}))
	huma.Register(a, op("list-borrower-parties", http.MethodGet, "/v1/borrowers/{id}/parties", "List a borrower's parties", "parties"),
		wrap(s, func(ctx context.Context, p collection.Principal, in *idPath) (*itemsBody[collection.Party], error) {
			return items(svc.Parties(ctx, p, in.ID))
		}))
	huma.Register(a, op("list-borrower-optouts", http.MethodGet, "/v1/borrowers/{id}/optouts", "List the opt-outs of a borrower's parties", "optouts"),
		wrap(s, func(ctx context.Context, p collection.Principal, in *idPath) (*itemsBody[collection.OptOut], error) {
			return items(svc.OptOuts(ctx, p, in.ID))
		}))
	type holdCreate struct {
		ID   string `path:"id" maxLength:"64"`
		Body collection.HoldInput
	}
	huma.Register(a, op("create-hold", http.MethodPost, "/v1/borrowers/{id}/holds", "Put a hold on a borrower", "holds"),
		wrap(s, func(ctx context.Context, p collection.Principal, in *holdCreate) (*body[collection.Hold], error) {
			return one(svc.CreateHold(ctx, p, in.ID, in.Body))
		}))
	type holdPath struct {
		ID   string `path:"id" maxLength:"64"`
		Hold string `path:"hold" enum:"dispute,cease,attorney,deceased,bankrupt,hospitalized,plan_active,paid"`
	}
	huma.Register(a, op("delete-hold", http.MethodDelete, "/v1/borrowers/{id}/holds/{hold}", "Lift a hold", "holds"),
		wrap(s, func(ctx context.Context, p collection.Principal, in *holdPath) (*noContent, error) {
			return &noContent{}, svc.DeleteHold(ctx, p, in.ID, in.Hold)
		}))
	huma.Register(a, op("create-debt", http.MethodPost, "/v1/debts", "Add a debt with its repayment schedule", "debts"),
		wrap(s, func(ctx context.Context, p collection.Principal, in *body[collection.DebtInput]) (*body[collection.Debt], error) {
			return one(svc.CreateDebt(ctx, p, in.Body))
		}))
	huma.Register(a, op("get-debt", http.MethodGet, "/v1/debts/{id}", "Get a debt", "debts"),
		wrap(s, func(ctx context.Context, p collection.Principal, in *idPath) (*body[collection.Debt], error) {
			return one(svc.Debt(ctx, p, in.ID))
		}))

	// Cases.
	huma.Register(a, op("create-case", http.MethodPost, "/v1/cases", "Assign a debt to an approved agency", "cases"),
		wrap(s, func(ctx context.Context, p collection.Principal, in *body[collection.CaseInput]) (*body[collection.Case], error) {
			return one(svc.CreateCase(ctx, p, in.Body))
		}))
	type caseList struct {
		Limit      int    `query:"limit" minimum:"0" maximum:"1000" doc:"at most this many items (100 when 0)"`
		After      string `query:"after" maxLength:"64" doc:"only items whose id sorts after this one"`
		Status     string `query:"status" enum:"open,paused,closed,"`
		BorrowerID string `query:"borrower_id" maxLength:"64"`
	}
	huma.Register(a, op("list-cases", http.MethodGet, "/v1/cases", "List cases (an agency sees its own)", "cases"),
		wrap(s, func(ctx context.Context, p collection.Principal, in *caseList) (*itemsBody[collection.Case], error) {
			return items(svc.Cases(ctx, p, collection.CaseFilter{Status: in.Status, BorrowerID: in.BorrowerID}, collection.Page{Limit: in.Limit, After: in.After}))
		}))
	huma.Register(a, op("get-case", http.MethodGet, "/v1/cases/{id}", "Get a case", "cases"),
		wrap(s, func(ctx context.Context, p collection.Principal, in *idPath) (*body[collection.Case], error) {
			return one(svc.Case(ctx, p, in.ID))
		}))
	type caseStatus struct {
		ID   string `path:"id" maxLength:"64"`
		Body struct {
			Status string `json:"status" enum:"open,paused,closed"`
		}
	}
	huma.Register(a, op("update-case", http.MethodPatch, "/v1/cases/{id}", "Open, pause or close a case", "cases"),
		wrap(s, func(ctx context.Context, p collection.Principal, in *caseStatus) (*body[collection.Case], error) {
			return one(svc.SetCaseStatus(ctx, p, in.ID, in.Body.Status))
		}))
	type caseAssignment struct {
		ID   string `path:"id" maxLength:"64"`
		Body struct {
			Collector string `json:"collector" maxLength:"64" doc:"username of a collector of the case's agency; empty to take the case off every worklist"`
		}
	}
	assign := op("assign-case", http.MethodPut, "/v1/cases/{id}/assignment", "Put a case on a collector's worklist (administrators, the agency's managers)", "cases")
	huma.Register(a, assign,
		wrap(s, func(ctx context.Context, p collection.Principal, in *caseAssignment) (*body[collection.Case], error) {
			return one(svc.AssignCase(ctx, p, in.ID, in.Body.Collector))
		}))
	type attemptList struct {
		ID    string `path:"id" maxLength:"64"`
		Limit int    `query:"limit" minimum:"0" maximum:"1000" doc:"at most this many, newest first (100 when 0)"`
	}
	huma.Register(a, op("list-case-attempts", http.MethodGet, "/v1/cases/{id}/attempts", "List a case's attempts, allowed and denied, newest first", "attempts"),
		wrap(s, func(ctx context.Context, p collection.Principal, in *attemptList) (*itemsBody[collection.Attempt], error) {
			return items(svc.CaseAttempts(ctx, p, in.ID, in.Limit))
		}))
	type promiseCreate struct {
		ID   string `path:"id" maxLength:"64"`
		Body collection.PromiseInput
	}
	huma.Register(a, op("create-promise", http.MethodPost, "/v1/cases/{id}/promises", "Record a promise to pay", "promises"),
		wrap(s, func(ctx context.Context, p collection.Principal, in *promiseCreate) (*body[collection.Promise], error) {
			return one(svc.CreatePromise(ctx, p, in.ID, in.Body))
		}))
	huma.Register(a, op("list-promises", http.MethodGet, "/v1/cases/{id}/promises", "List a case's promises to pay", "promises"),
		wrap(s, func(ctx context.Context, p collection.Principal, in *idPath) (*itemsBody[collection.Promise], error) {
			return items(svc.Promises(ctx, p, in.ID))
		}))
	type promiseStatus struct {
		ID   string `path:"id" maxLength:"64"`
		Body struct {
			Status string `json:"status" enum:"kept,broken"`
		}
	}
	huma.Register(a, op("update-promise", http.MethodPatch, "/v1/promises/{id}", "Record that a promise to pay was kept or broken", "promises"),
		wrap(s, func(ctx context.Context, p collection.Principal, in *promiseStatus) (*body[collection.Promise], error) {
			return one(svc.SetPromiseStatus(ctx, p, in.ID, in.Body.Status))
		}))
	type statsQuery struct {
		AgencyID string `query:"agency_id" maxLength:"64" doc:"one agency's figures; every agency's when empty (lender staff and regulators)"`
		Days     int    `query:"days" minimum:"0" maximum:"366" doc:"days in the window, ending today (30 when 0)"`
		TZ       string `query:"tz" maxLength:"64" doc:"IANA time zone in which days are counted (UTC when empty)"`
	}
	huma.Register(a, op("get-stats", http.MethodGet, "/v1/stats", "The dashboards' figures: attempts per day, denials by category and agency, collectors' work, promises kept", "stats"),
		wrap(s, func(ctx context.Context, p collection.Principal, in *statsQuery) (*body[collection.Stats], error) {
			f := collection.StatsFilter{AgencyID: in.AgencyID, Days: in.Days}
			if in.TZ != "" {
				zone, err := collection.ParseZone("tz", in.TZ)
				if err != nil {
					return nil, err
				}
				f.Zone = zone
			}
			return one(svc.Stats(ctx, p, f))
		}))

	// Parties, contact methods, opt-outs.
	huma.Register(a, op("create-party", http.MethodPost, "/v1/parties", "Add an emergency contact, attorney or other person, with a consent record", "parties"),
		wrap(s, func(ctx context.Context, p collection.Principal, in *body[collection.PartyInput]) (*body[collection.Party], error) {
			return one(svc.CreateParty(ctx, p, in.Body))
		}))
	huma.Register(a, op("get-party", http.MethodGet, "/v1/parties/{id}", "Get a party", "parties"),
		wrap(s, func(ctx context.Context, p collection.Principal, in *idPath) (*body[collection.Party], error) {
			return one(svc.Party(ctx, p, in.ID))
		}))
	type partyUpdate struct {
		ID   string `path:"id" maxLength:"64"`
		Body collection.PartyUpdate
	}
	huma.Register(a, op("update-party", http.MethodPatch, "/v1/parties/{id}", "Record an objection or a withdrawal of consent", "parties"),
		wrap(s, func(ctx context.Context, p collection.Principal, in *partyUpdate) (*body[collection.Party], error) {
			return one(svc.UpdateParty(ctx, p, in.ID, in.Body))
		}))
	type methodCreate struct {
		ID   string `path:"id" maxLength:"64"`
		Body collection.ContactMethodInput
	}
	huma.Register(a, op("create-contact-method", http.MethodPost, "/v1/parties/{id}/contact-methods", "Add a phone number, e-mail address or IM id", "parties"),
		wrap(s, func(ctx context.Context, p collection.Principal, in *methodCreate) (*body[collection.Party], error) {
			return one(svc.AddContactMethod(ctx, p, in.ID, in.Body))
		}))
	lookup := op("lookup-contact", http.MethodPost, "/v1/contact-lookup", "Find the parties with a phone number, e-mail address or IM id", "parties")
	lookup.DefaultStatus = http.StatusOK
	huma.Register(a, lookup,
		wrap(s, func(ctx context.Context, p collection.Principal, in *body[collection.ContactMethodInput]) (*itemsBody[collection.Party], error) {
			return items(svc.FindParties(ctx, p, in.Body))
		}))
	huma.Register(a, op("create-optout", http.MethodPost, "/v1/optouts", "Record that a person opted out of a channel", "optouts"),
		wrap(s, func(ctx context.Context, p collection.Principal, in *body[collection.OptOutInput]) (*body[collection.OptOut], error) {
			return one(svc.CreateOptOut(ctx, p, in.Body))
		}))
	type optoutPath struct {
		ID      string `path:"id" maxLength:"64"`
		Channel string `path:"channel" enum:"call,sms,im,email,letter,visit,social_post"`
	}
	huma.Register(a, op("delete-optout", http.MethodDelete, "/v1/parties/{id}/optouts/{channel}", "Lift an opt-out", "optouts"),
		wrap(s, func(ctx context.Context, p collection.Principal, in *optoutPath) (*noContent, error) {
			return &noContent{}, svc.DeleteOptOut(ctx, p, in.ID, in.Channel)
		}))

	// The gate.
	huma.Register(a, op("create-attempt", http.MethodPost, "/v1/attempts", "Decide and record one contact attempt", "attempts"),
		func(ctx context.Context, in *body[collection.AttemptInput]) (*body[collection.Attempt], error) {
			start := time.Now()
			at, err := svc.Decide(ctx, principal(ctx), in.Body)
			if err != nil {
				return nil, s.problem(err)
			}
			s.metrics.observe(at.Decision, time.Since(start))
			return &body[collection.Attempt]{Body: *at}, nil
		})
	huma.Register(a, op("get-attempt", http.MethodGet, "/v1/attempts/{id}", "Get an attempt", "attempts"),
		wrap(s, func(ctx context.Context, p collection.Principal, in *idPath) (*body[collection.Attempt], error) {
			return one(svc.Attempt(ctx, p, in.ID))
		}))
	type outcome struct {
		ID   string `path:"id" maxLength:"64"`
		Body struct {
			Result string `json:"result" enum:"connected,no_answer,busy,voicemail,invalid_number,failed,delivered,replied"`
		}
	}
	outcomeOp := op("record-outcome", http.MethodPost, "/v1/attempts/{id}/outcome", "Record what happened on an allowed attempt", "attempts")
	outcomeOp.DefaultStatus = http.StatusOK
	huma.Register(a, outcomeOp,
		wrap(s, func(ctx context.Context, p collection.Principal, in *outcome) (*body[collection.Attempt], error) {
			return one(svc.Outcome(ctx, p, in.ID, in.Body.Result))
		}))
	type checkInput struct {
		RawBody []byte `contentType:"application/json" doc:"the fairdebt check request"`
	}
	checkOp := op("check", http.MethodPost, "/v1/check", "Dry run: decide a request in the exact `fairdebt check` contract, recording nothing", "attempts")
	checkOp.DefaultStatus = http.StatusOK
	checkOp.MaxBodyBytes = 8 << 20
	checkOp.SkipValidateBody = true // the check decoder validates, naming the field
	huma.Register(a, checkOp, func(ctx context.Context, in *checkInput) (*body[policy.Decision], error) {
		req, err := policy.DecodeRequest(in.RawBody, svc.Packs())
		if err != nil {
			return nil, s.problem(err)
		}
		return &body[policy.Decision]{Body: policy.Evaluate(req.Pack, &req.Snapshot, &req.Attempt)}, nil
	})

	type screenInput struct {
		Body struct {
			Text string `json:"text" maxLength:"16384" doc:"the message or call script to screen"`
		}
	}
	screenOp := op("screen", http.MethodPost, "/v1/screen", "Screen a message for prohibited or sensitive content (the `fairdebt screen` contract)", "screen")
	screenOp.DefaultStatus = http.StatusOK
	huma.Register(a, screenOp, func(ctx context.Context, in *screenInput) (*body[screen.Document], error) {
		return &body[screen.Document]{Body: screen.Default().Screen(in.Body.Text).Document(in.Body.Text)}, nil
	})

	// The audit log.
	type checkpointOut struct {
		Body struct {
			Checkpoint string `json:"checkpoint" doc:"the latest signed checkpoint: a signed note (golang.org/x/mod/sumdb/note) whose text is the log's origin, its size and its base64 root hash"`
		}
	}
	huma.Register(a, op("get-audit-checkpoint", http.MethodGet, "/v1/audit/checkpoint", "The audit log's latest signed checkpoint", "audit"),
		wrap(s, func(ctx context.Context, _ collection.Principal, _ *struct{}) (*checkpointOut, error) {
			c, err := svc.AuditCheckpoint(ctx)
			if err != nil {
				return nil, err
			}
			out := &checkpointOut{}
			out.Body.Checkpoint = c
			return out, nil
		}))
	type entryPath struct {
		Index int64 `path:"index" minimum:"0" doc:"the leaf's index"`
	}
	huma.Register(a, op("get-audit-entry", http.MethodGet, "/v1/audit/entries/{index}", "One audit leaf with its inclusion proof against the latest checkpoint (administrators)", "audit"),
		wrap(s, func(ctx context.Context, p collection.Principal, in *entryPath) (*body[audit.Receipt], error) {
			r, err := svc.AuditEntry(ctx, p, in.Index)
			return one(&r, err)
		}))
	type consistencyQuery struct {
		From int64 `query:"from" required:"true" minimum:"1" doc:"the earlier tree's size"`
		To   int64 `query:"to" required:"true" minimum:"1" doc:"the later tree's size"`
	}
	huma.Register(a, op("get-audit-consistency", http.MethodGet, "/v1/audit/consistency", "Proof that the log of `to` leaves extends the log of `from`", "audit"),
		wrap(s, func(ctx context.Context, _ collection.Principal, in *consistencyQuery) (*body[audit.Consistency], error) {
			c, err := svc.AuditConsistency(ctx, in.From, in.To)
			return one(&c, err)
		}))
	huma.Register(a, op("list-attempt-receipts", http.MethodGet, "/v1/attempts/{id}/receipts",
		"Receipts of an attempt's audit leaves (its decision, then its outcome): each verifiable offline with `fairdebt audit verify-receipt`", "attempts", "audit"),
		wrap(s, func(ctx context.Context, p collection.Principal, in *idPath) (*body[[]audit.Receipt], error) {
			r, err := svc.AttemptReceipts(ctx, p, in.ID)
			return one(&r, err)
		}))

	// Tokens.
	type tokenOut struct {
		Body struct {
			Token string `json:"token" doc:"shown once; only its keyed hash is stored"`
		}
	}
	huma.Register(a, op("create-token", http.MethodPost, "/v1/tokens", "Issue an API token", "tokens"),
		wrap(s, func(ctx context.Context, p collection.Principal, in *body[collection.TokenInput]) (*tokenOut, error) {
			t, err := svc.CreateToken(ctx, p, in.Body)
			if err != nil {
				return nil, err
			}
			out := &tokenOut{}
			out.Body.Token = t
			return out, nil
		}))
}
