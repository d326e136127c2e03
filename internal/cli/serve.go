package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"

	"golang.org/x/mod/sumdb/note"

	"github.com/fairdebt/fairdebt/internal/api"
	"github.com/fairdebt/fairdebt/internal/audit"
	"github.com/fairdebt/fairdebt/internal/collection"
	"github.com/fairdebt/fairdebt/internal/demo"
	"github.com/fairdebt/fairdebt/internal/dialer"
	"github.com/fairdebt/fairdebt/internal/notify"
	"github.com/fairdebt/fairdebt/internal/secret"
	"github.com/fairdebt/fairdebt/internal/web"
)

// EnvAdminToken may carry an administrator API token chosen by the operator.
const EnvAdminToken = "FAIRDEBT_ADMIN_TOKEN"

// EnvDialerSecret carries the secret that signs the calls posted to --dialer-url.
const EnvDialerSecret = "FAIRDEBT_DIALER_SECRET"

// EnvNotifySecret carries the secret that signs the messages posted to --notify-url.
const EnvNotifySecret = "FAIRDEBT_NOTIFY_SECRET"

type serveOptions struct {
	data, addr, db, pack, logLevel string
	auditKey, dialerURL, notifyURL string
	demo                           bool
}

func (a *app) serveCommand(stdout, stderr io.Writer) *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the collection service: the recording gate, the JSON API and the web UI",
		Long: `serve runs fairdebt's HTTP service on an embedded SQLite database. Every contact
attempt posted to /v1/attempts is decided by the compliance gate and recorded, allowed
or denied, before the answer is sent.

The data directory holds the database, the key file that seals personal data
(unless FAIRDEBT_KEYS is set), and the audit log's signing key, audit.key (unless
FAIRDEBT_AUDIT_KEY is set) with its public verifier key, audit.pub. Every decision,
outcome and change of consent, objection, opt-out or hold is a leaf of the audit
log; a signed checkpoint follows every second while leaves arrive, and on shutdown.
An administrator token is taken from FAIRDEBT_ADMIN_TOKEN, or generated at first
start and written to DATA/admin-token.

Calls the gate allows from the web UI's call button are posted, signed, to the
dialer at --dialer-url (HMAC-SHA256 with the secret in FAIRDEBT_DIALER_SECRET, at
least 32 bytes; see the README for the request), which rings the collector and
then the person: collectors never see the number. Without --dialer-url calls are
recorded but not placed.

The one-time codes with which borrowers sign in to the portal are posted, signed
the same way with the secret in FAIRDEBT_NOTIFY_SECRET, to the SMS or e-mail
gateway at --notify-url. Without it the portal cannot send codes and says so;
the demo shows them on its outbox page, /outbox.

With --demo and no --data, the service runs on a fresh temporary directory seeded
with a synthetic dataset, prints API tokens and URLs, and removes the directory on
exit.`,
		Example: `  fairdebt serve --demo
  fairdebt serve --data /var/lib/fairdebt --addr 0.0.0.0:8080 --pack us`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if !cmd.Flags().Changed("data") && o.demo {
				o.data = ""
			}
			return a.serve(ctx, o, stdout, stderr)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.data, "data", "./fairdebt-data", "data directory (database, key files, admin token)")
	f.StringVar(&o.addr, "addr", "127.0.0.1:8080", "address to listen on")
	f.StringVar(&o.db, "db", "", "database: empty for SQLite in the data directory, a SQLite file path, or a postgres:// URL (several serve replicas may share one; give them the same keys)")
	f.StringVar(&o.pack, "pack", "cn", "rule pack for borrowers created without one")
	f.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	f.StringVar(&o.auditKey, "audit-key", "", "file holding the audit log's signing key (default: FAIRDEBT_AUDIT_KEY, else DATA/audit.key, generated at first start)")
	f.StringVar(&o.dialerURL, "dialer-url", "", "https endpoint of the dialer that places allowed calls (secret in "+EnvDialerSecret+"); none: calls are recorded, not placed")
	f.StringVar(&o.notifyURL, "notify-url", "", "https endpoint of the SMS/e-mail gateway that sends one-time codes (secret in "+EnvNotifySecret+")")
	f.BoolVar(&o.demo, "demo", false, "seed a synthetic demo dataset and print its API tokens")
	return cmd
}

func (a *app) serve(ctx context.Context, o serveOptions, stdout, stderr io.Writer) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return inputError(fmt.Errorf("--log-level: %w", err))
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	reg, _, err := a.registry()
	if err != nil {
		return err
	}
	if _, err := reg.Get(o.pack); err != nil {
		return inputError(fmt.Errorf("--pack: %w", err))
	}
	var dial dialer.Dialer = dialer.NewOutbox(0)
	if o.dialerURL != "" {
		if dial, err = dialer.NewWebhook(o.dialerURL, []byte(os.Getenv(EnvDialerSecret)), 0); err != nil {
			return inputError(fmt.Errorf("--dialer-url: %w (the secret comes from %s)", err, EnvDialerSecret))
		}
	} else if !o.demo {
		log.Warn("no dialer configured (--dialer-url): calls the gate allows are recorded but not placed")
	}
	var notifier notify.Notifier = notify.Unconfigured{}
	var outbox *notify.Outbox
	switch {
	case o.notifyURL != "":
		if notifier, err = notify.NewWebhook(o.notifyURL, []byte(os.Getenv(EnvNotifySecret)), 0); err != nil {
			return inputError(fmt.Errorf("--notify-url: %w (the secret comes from %s)", err, EnvNotifySecret))
		}
	case o.demo:
		outbox = notify.NewOutbox(0)
		notifier = outbox
	default:
		log.Warn("no SMS/e-mail gateway configured (--notify-url): borrowers cannot sign in to the portal")
	}
	if o.data == "" {
		if o.data, err = os.MkdirTemp("", "fairdebt-demo-"); err != nil {
			return err
		}
		defer os.RemoveAll(o.data)
	}
	if err := os.MkdirAll(o.data, 0o700); err != nil {
		return inputError(fmt.Errorf("--data: %w", err))
	}
	keys, created, err := secret.Load(o.data)
	if err != nil {
		return err
	}
	if created {
		log.Info("generated a new key file; back it up: without it sealed personal data cannot be read", "path", filepath.Join(o.data, secret.KeyFile))
	}
	db, err := openStore(ctx, o.db, o.data)
	if err != nil {
		return err
	}
	defer db.Close()
	var signer note.Signer
	var vkey string
	created = false
	if o.auditKey != "" {
		signer, vkey, err = audit.SignerFromFile(o.auditKey)
		err = inputErrorIf(err, "--audit-key")
	} else {
		signer, vkey, created, err = audit.LoadSigner(o.data, AuditOrigin)
	}
	if err != nil {
		return err
	}
	if created {
		log.Info("generated the audit log's signing key; back it up, and give the verifier key to whoever checks receipts",
			"path", filepath.Join(o.data, audit.SignerKeyFile), "verifier_key_file", filepath.Join(o.data, audit.VerifierKeyFile))
	}
	svc, err := collection.New(collection.Config{DB: db, Keys: keys, Packs: reg, DefaultPack: o.pack, AuditSigner: signer, Notifier: notifier})
	if err != nil {
		return err
	}
	// Checkpoints run until the server has stopped, then sign a last one before the
	// database closes (deferred above, so it runs after this).
	ckptCtx, stopCkpt := context.WithCancel(context.WithoutCancel(ctx))
	ckptDone := make(chan error, 1)
	go func() { ckptDone <- svc.RunAuditCheckpoints(ckptCtx) }()
	defer func() {
		stopCkpt()
		if err := <-ckptDone; err != nil {
			log.Error("the last audit checkpoint failed", "err", err)
		}
	}()
	log.Info("audit log", "verifier_key", vkey)
	// Complaints past their deadline are escalated, and plans with a missed
	// instalment ended, every minute.
	go func() {
		if err := svc.RunSweeps(ckptCtx, time.Minute); err != nil {
			log.Error("the sweeps of complaints and plans stopped", "err", err)
		}
	}()
	// PostgreSQL: the months ahead of attempts and audit leaves get their
	// partitions (see store.EnsurePartitions) at start and then every six hours.
	go func() {
		t := time.NewTicker(6 * time.Hour)
		defer t.Stop()
		for {
			select {
			case <-ckptCtx.Done():
				return
			case <-t.C:
				if err := db.EnsurePartitions(ckptCtx, time.Now()); err != nil && ckptCtx.Err() == nil {
					log.Error("making the next months' partitions failed; retrying in six hours", "err", err)
				}
			}
		}
	}()
	if err := ensureAdminToken(ctx, svc, o.data, log); err != nil {
		return err
	}
	var seeded *demo.Result
	if o.demo {
		start := time.Now()
		if seeded, err = demo.Seed(ctx, demo.Config{DB: db, Keys: keys, Packs: reg, Pack: o.pack, Now: time.Now()}); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		log.Info("seeded the demo dataset", "borrowers", seeded.Borrowers, "attempts", seeded.Attempts, "took", time.Since(start).Round(time.Millisecond))
	}

	metrics := prometheus.NewRegistry()
	metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return inputError(fmt.Errorf("--addr: %w", err))
	}
	opts := []web.Option{web.WithDialer(dial)}
	if outbox != nil {
		opts = append(opts, web.WithOutbox(outbox))
	}
	ui, err := web.New(svc, log, api.New(svc, log, metrics), opts...)
	if err != nil {
		return err
	}
	srv := newHTTPServer(ui)
	url := "http://" + ln.Addr().String()
	log.Info("listening", "url", url, "data", o.data, "pack", o.pack)
	if seeded != nil {
		printDemo(stdout, url, seeded)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	return nil
}

// inputErrorIf marks err, if any, as a problem with flag.
func inputErrorIf(err error, flag string) error {
	if err == nil {
		return nil
	}
	return inputError(fmt.Errorf("%s: %w", flag, err))
}

// AuditOrigin names this deployment's audit log in its checkpoints and its key.
const AuditOrigin = "fairdebt/audit"

// newHTTPServer returns the server fairdebt's API runs on.
func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
}

// ensureAdminToken makes sure an administrator can reach the API: the token in
// FAIRDEBT_ADMIN_TOKEN, or else one generated at first start into DATA/admin-token.
func ensureAdminToken(ctx context.Context, svc *collection.Service, data string, log *slog.Logger) error {
	if t, ok := os.LookupEnv(EnvAdminToken); ok {
		if err := svc.RegisterToken(ctx, strings.TrimSpace(t), "from "+EnvAdminToken); err != nil {
			return inputError(fmt.Errorf("%s: %w", EnvAdminToken, err))
		}
		return nil
	}
	has, err := svc.HasAdminToken(ctx)
	if err != nil || has {
		return err
	}
	t, err := svc.IssueToken(ctx, collection.TokenInput{Scope: collection.ScopeAdmin, Name: "generated at first start"})
	if err != nil {
		return err
	}
	path := filepath.Join(data, "admin-token")
	if err := os.WriteFile(path, []byte(t+"\n"), 0o600); err != nil {
		return err
	}
	log.Info("generated an administrator API token", "path", path)
	return nil
}

func printDemo(w io.Writer, url string, r *demo.Result) {
	fmt.Fprintf(w, `
fairdebt demo is running / 演示已启动

  API        %[1]s/v1
  API docs   %[1]s/docs
  OpenAPI    %[1]s/openapi.json
  metrics    %[1]s/metrics

  web UI     %[1]s/login
%[7]s
  borrower portal  %[1]s/portal/login   phone %[8]s
                   (the demo sends no SMS: the code is at %[1]s/outbox)

  admin token (lender)          %[2]s
  agency token (%[3]s)  %[4]s

  try / 试一试:
    curl -s -H 'Authorization: Bearer %[4]s' '%[1]s/v1/cases?limit=3'
    curl -s -H 'Authorization: Bearer %[4]s' -H 'Content-Type: application/json' \
      -d '{"case_id":"%[5]s","party_id":"%[6]s","channel":"call"}' %[1]s/v1/attempts

  The data is synthetic and lives in a temporary directory unless --data was given.
  数据均为合成数据。按 Ctrl+C 退出。
`, url, r.AdminToken, r.AgencyID, r.AgencyToken, r.SampleCase, r.SampleParty, demoLogins(r.Logins), r.SamplePhone)
}

// demoLogins lists the demo's web UI users, one line each.
func demoLogins(logins []demo.Login) string {
	var b strings.Builder
	b.WriteString("  sign in as / 登录账号 (username  password  role):\n")
	for _, l := range logins {
		role := l.Role
		if l.AgencyID != "" {
			role += " (" + l.AgencyID + ")"
		}
		fmt.Fprintf(&b, "    %-12s %-18s %s\n", l.Username, l.Password, role)
	}
	return b.String()
}
