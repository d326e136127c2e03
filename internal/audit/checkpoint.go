package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Checkpoint is a signed statement of the tree: its size and root hash. Its text
// follows the C2SP tlog-checkpoint format: the origin, the size and the base64
// root hash, one per line.
type Checkpoint struct {
	Origin string
	Size   int64
	Root   tlog.Hash
}

// Text returns the checkpoint's note text.
func (c Checkpoint) Text() string {
	return fmt.Sprintf("%s\n%d\n%s\n", c.Origin, c.Size, base64.StdEncoding.EncodeToString(c.Root[:]))
}

// ParseCheckpoint reads a checkpoint's note text.
func ParseCheckpoint(text string) (Checkpoint, error) {
	lines := strings.SplitAfter(text, "\n")
	if len(lines) < 4 || !strings.HasSuffix(lines[2], "\n") {
		return Checkpoint{}, errors.New("audit: malformed checkpoint: want origin, size and root hash lines")
	}
	origin := strings.TrimSuffix(lines[0], "\n")
	size, err := strconv.ParseInt(strings.TrimSuffix(lines[1], "\n"), 10, 64)
	if err != nil || size < 0 || origin == "" {
		return Checkpoint{}, errors.New("audit: malformed checkpoint origin or size")
	}
	root, err := decodeHash(strings.TrimSuffix(lines[2], "\n"))
	if err != nil {
		return Checkpoint{}, err
	}
	return Checkpoint{Origin: origin, Size: size, Root: root}, nil
}

// OpenCheckpoint checks a signed checkpoint note against the verifier key vkey
// (as note.NewVerifier reads it) and returns the checkpoint.
func OpenCheckpoint(signed []byte, vkey string) (Checkpoint, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("audit: verifier key: %w", err)
	}
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("audit: checkpoint signature: %w", err)
	}
	c, err := ParseCheckpoint(n.Text)
	if err != nil {
		return Checkpoint{}, err
	}
	if c.Origin != v.Name() {
		return Checkpoint{}, fmt.Errorf("audit: checkpoint of log %q signed with the key of %q", c.Origin, v.Name())
	}
	return c, nil
}

// Key files and variable: the signer key (secret) and the verifier key (public,
// to hand to whoever checks receipts and exports).
const (
	EnvSignerKey    = "FAIRDEBT_AUDIT_KEY"
	SignerKeyFile   = "audit.key"
	VerifierKeyFile = "audit.pub"
)

// LoadSigner returns the log's signer: from the environment variable
// EnvSignerKey if set, else from dir's key file, generated (with the verifier key
// beside it) on first use under the name origin. It reports whether it generated
// the key.
func LoadSigner(dir, origin string) (s note.Signer, vkey string, created bool, err error) {
	skey := os.Getenv(EnvSignerKey)
	if skey == "" {
		path := filepath.Join(dir, SignerKeyFile)
		data, err := os.ReadFile(path)
		switch {
		case err == nil:
			skey = strings.TrimSpace(string(data))
		case errors.Is(err, os.ErrNotExist):
			sk, vk, err := note.GenerateKey(rand.Reader, origin)
			if err != nil {
				return nil, "", false, fmt.Errorf("audit: generate signer key: %w", err)
			}
			if err := writeExclusive(path, sk+"\n", 0o600); err != nil {
				return nil, "", false, err
			}
			if err := os.WriteFile(filepath.Join(dir, VerifierKeyFile), []byte(vk+"\n"), 0o644); err != nil {
				return nil, "", false, fmt.Errorf("audit: write verifier key: %w", err)
			}
			skey, created = sk, true
		default:
			return nil, "", false, fmt.Errorf("audit: read signer key: %w", err)
		}
	}
	s, vkey, err = signerFromKey(skey)
	if err != nil {
		return nil, "", false, err
	}
	return s, vkey, created, nil
}

// SignerFromFile returns the signer whose key (as note.GenerateKey writes it) is in
// the file at path, and its verifier key.
func SignerFromFile(path string) (note.Signer, string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("audit: read signer key: %w", err)
	}
	s, vkey, err := signerFromKey(strings.TrimSpace(string(data)))
	if err != nil {
		return nil, "", fmt.Errorf("%w (in %s)", err, path)
	}
	return s, vkey, nil
}

// signerFromKey returns the signer of an encoded signer key and its verifier key.
func signerFromKey(skey string) (note.Signer, string, error) {
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, "", fmt.Errorf("audit: signer key: %w", err)
	}
	vkey, err := verifierKey(skey)
	if err != nil {
		return nil, "", err
	}
	return s, vkey, nil
}

// verifierKey derives the verifier key of an Ed25519 signer key
// ("PRIVATE+KEY+name+hash+base64(alg||seed)").
func verifierKey(skey string) (string, error) {
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" {
		return "", errors.New("audit: malformed signer key")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 33 || raw[0] != 1 {
		return "", errors.New("audit: signer key is not an Ed25519 key")
	}
	pub := ed25519Public(raw[1:])
	return note.NewEd25519VerifierKey(parts[2], pub)
}

func writeExclusive(path, data string, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("audit: create %s: %w", path, err)
	}
	if _, err := f.WriteString(data); err != nil {
		f.Close()
		return fmt.Errorf("audit: write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("audit: sync %s: %w", path, err)
	}
	return f.Close()
}

// Checkpoint signs a checkpoint of the committed tree and stores it, unless the
// latest stored one already has that size; it returns the latest signed note.
func (l *Log) Checkpoint(ctx context.Context, s note.Signer) ([]byte, error) {
	size, err := l.Size(ctx)
	if err != nil {
		return nil, err
	}
	if latest, c, err := l.LatestCheckpoint(ctx); err != nil {
		return nil, err
	} else if latest != nil && c.Size == size {
		return latest, nil
	}
	root, err := l.TreeHash(ctx, size)
	if err != nil {
		return nil, err
	}
	c := Checkpoint{Origin: s.Name(), Size: size, Root: root}
	signed, err := note.Sign(&note.Note{Text: c.Text()}, s)
	if err != nil {
		return nil, fmt.Errorf("audit: sign checkpoint: %w", err)
	}
	err = l.db.UpdateSingle(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO audit_checkpoints (size, root, note, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (size) DO NOTHING",
			size, encodeHash(root), string(signed), time.Now().UnixMilli())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("audit: store checkpoint: %w", err)
	}
	return signed, nil
}

// LatestCheckpoint returns the latest stored signed checkpoint and its content, or
// nil if there is none. It does not check the signature.
func (l *Log) LatestCheckpoint(ctx context.Context) ([]byte, Checkpoint, error) {
	var signed string
	err := l.db.R.QueryRowContext(ctx, "SELECT note FROM audit_checkpoints ORDER BY size DESC LIMIT 1").Scan(&signed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, Checkpoint{}, nil
	}
	if err != nil {
		return nil, Checkpoint{}, fmt.Errorf("audit: latest checkpoint: %w", err)
	}
	text, _, ok := bytes.Cut([]byte(signed), []byte("\n\n"))
	if !ok {
		return nil, Checkpoint{}, errors.New("audit: stored checkpoint is not a signed note")
	}
	c, err := ParseCheckpoint(string(text) + "\n")
	return []byte(signed), c, err
}

// RunCheckpoints signs a checkpoint every interval while leaves arrive, and a last
// one when ctx ends. It returns after that last one, with its error if any.
func (l *Log) RunCheckpoints(ctx context.Context, s note.Signer, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			_, err := l.Checkpoint(final, s)
			return err
		case <-t.C:
			// A failure (a busy database) is retried at the next tick.
			_, _ = l.Checkpoint(ctx, s)
		}
	}
}

func ed25519Public(seed []byte) ed25519.PublicKey {
	return ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
}
