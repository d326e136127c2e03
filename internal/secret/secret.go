// Package secret protects personal data at rest: contact values are sealed with
// AES-256-GCM, looked up by a keyed HMAC-SHA-256 hash, and shown masked.
//
// Keys never live in the repository. They come from the FAIRDEBT_KEYS environment
// variable or, failing that, from a key file generated in the data directory at
// first start (mode 0600).
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// EnvKeys is the environment variable that may carry the keys: the base64 (standard
// encoding) of 64 random bytes, the first 32 for encryption, the last 32 for hashing.
const EnvKeys = "FAIRDEBT_KEYS"

// KeyFile is the name of the generated key file inside the data directory.
const KeyFile = "keys"

const keyLen = 64

// Keys seals, opens and hashes personal data. A Keys is safe for concurrent use.
type Keys struct {
	aead cipher.AEAD
	mac  []byte
}

// New makes Keys from 64 bytes of key material.
func New(material []byte) (*Keys, error) {
	if len(material) != keyLen {
		return nil, fmt.Errorf("secret: key material must be %d bytes, got %d", keyLen, len(material))
	}
	block, err := aes.NewCipher(material[:32])
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Keys{aead: aead, mac: append([]byte(nil), material[32:]...)}, nil
}

// Generate returns new random keys and their key material.
func Generate() (*Keys, []byte, error) {
	material := make([]byte, keyLen)
	if _, err := rand.Read(material); err != nil {
		return nil, nil, err
	}
	k, err := New(material)
	return k, material, err
}

// Load returns the keys from the environment if EnvKeys is set, else from dir's key
// file, generating it when it does not exist yet. created reports a new key file.
func Load(dir string) (k *Keys, created bool, err error) {
	if v, ok := os.LookupEnv(EnvKeys); ok {
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v))
		if err != nil {
			return nil, false, fmt.Errorf("secret: %s is not base64: %w", EnvKeys, err)
		}
		k, err := New(raw)
		return k, false, err
	}
	path := filepath.Join(dir, KeyFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		k, material, err := Generate()
		if err != nil {
			return nil, false, err
		}
		if err := writeNew(path, []byte(base64.StdEncoding.EncodeToString(material)+"\n")); err != nil {
			return nil, false, err
		}
		return k, true, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("secret: %w", err)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data)))
	if err != nil {
		return nil, false, fmt.Errorf("secret: %s is not base64: %w", path, err)
	}
	k, err = New(raw)
	return k, false, err
}

// writeNew writes data to a new file durably, refusing to overwrite one.
func writeNew(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("secret: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("secret: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("secret: %w", err)
	}
	return f.Close()
}

// Seal encrypts plaintext, binding it to context (for example "phone") so a sealed
// value cannot be moved to another column unnoticed.
func (k *Keys) Seal(context, plaintext string) string {
	nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(plaintext)+k.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic("secret: no randomness: " + err.Error())
	}
	return base64.RawStdEncoding.EncodeToString(k.aead.Seal(nonce, nonce, []byte(plaintext), []byte(context)))
}

// Open decrypts a value sealed with the same context.
func (k *Keys) Open(context, sealed string) (string, error) {
	raw, err := base64.RawStdEncoding.DecodeString(sealed)
	if err != nil || len(raw) < k.aead.NonceSize() {
		return "", errors.New("secret: malformed sealed value")
	}
	n := k.aead.NonceSize()
	pt, err := k.aead.Open(nil, raw[:n], raw[n:], []byte(context))
	if err != nil {
		return "", errors.New("secret: sealed value does not open with these keys")
	}
	return string(pt), nil
}

// Hash is the keyed lookup hash of a normalised value in a context.
func (k *Keys) Hash(context, value string) string {
	m := hmac.New(sha256.New, k.mac)
	m.Write([]byte(context))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return hex.EncodeToString(m.Sum(nil))
}

// Mask shows the shape of a contact value without revealing it: a phone number keeps
// its first three and last four digits, an e-mail address its first letter and domain,
// anything else its first and last character.
func Mask(kind, value string) string {
	r := []rune(value)
	switch {
	case kind == "phone" && len(r) > 7:
		return string(r[:3]) + strings.Repeat("*", len(r)-7) + string(r[len(r)-4:])
	case kind == "email" && strings.LastIndexByte(value, '@') > 0:
		at := strings.LastIndexByte(value, '@')
		return string([]rune(value[:at])[:1]) + "***" + value[at:]
	case len(r) > 2:
		return string(r[:1]) + strings.Repeat("*", len(r)-2) + string(r[len(r)-1:])
	default:
		return strings.Repeat("*", len(r))
	}
}
