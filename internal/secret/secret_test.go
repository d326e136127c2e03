package secret

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func testKeys(t *testing.T, fill byte) *Keys {
	t.Helper()
	k, err := New(bytes.Repeat([]byte{fill}, 64))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpen(t *testing.T) {
	k := testKeys(t, 1)
	a, b := k.Seal("phone", "+8610000000001"), k.Seal("phone", "+8610000000001")
	if a == b {
		t.Error("two seals of one value are equal: the nonce is not random")
	}
	if strings.Contains(a, "10000000001") {
		t.Error("sealed value contains the clear text")
	}
	if got, err := k.Open("phone", a); err != nil || got != "+8610000000001" {
		t.Errorf("Open: %q %v", got, err)
	}
	if _, err := k.Open("email", a); err == nil {
		t.Error("a value sealed for phone opened as email")
	}
	if _, err := testKeys(t, 2).Open("phone", a); err == nil {
		t.Error("opened with other keys")
	}
	if _, err := k.Open("phone", "!!"); err == nil {
		t.Error("opened garbage")
	}
}

func TestHash(t *testing.T) {
	k := testKeys(t, 1)
	if k.Hash("phone", "1") != testKeys(t, 1).Hash("phone", "1") {
		t.Error("hash is not deterministic")
	}
	if k.Hash("phone", "1") == k.Hash("email", "1") || k.Hash("phone", "1") == testKeys(t, 2).Hash("phone", "1") {
		t.Error("hash ignores the context or the key")
	}
}

func TestMask(t *testing.T) {
	for _, c := range []struct{ kind, in, want string }{
		{"phone", "+8613800001234", "+86*******1234"},
		{"phone", "12345", "1***5"},
		{"email", "alice@example.com", "a***@example.com"},
		{"email", "@example.com", "@**********m"}, // no local part: masked as plain text
		{"id_number", "110105199001011234", "1****************4"},
		{"im", "ab", "**"},
	} {
		if got := Mask(c.kind, c.in); got != c.want {
			t.Errorf("Mask(%s, %q) = %q, want %q", c.kind, c.in, got, c.want)
		}
	}
}

func TestLoadGeneratesOnceAndHonoursEnv(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(EnvKeys, "")
	os.Unsetenv(EnvKeys)
	k1, created, err := Load(dir)
	if err != nil || !created {
		t.Fatalf("first Load: created %v, %v", created, err)
	}
	info, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v, want mode 0600", info, err)
	}
	k2, created, err := Load(dir)
	if err != nil || created {
		t.Fatalf("second Load: created %v, %v", created, err)
	}
	if got, err := k2.Open("phone", k1.Seal("phone", "x")); err != nil || got != "x" {
		t.Error("the reloaded keys differ from the generated ones")
	}
	t.Setenv(EnvKeys, base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 64)))
	k3, _, err := Load(dir)
	if err != nil || k3.Hash("p", "1") != testKeys(t, 7).Hash("p", "1") {
		t.Errorf("FAIRDEBT_KEYS not used: %v", err)
	}
	t.Setenv(EnvKeys, "not base64!")
	if _, _, err := Load(dir); err == nil {
		t.Error("bad FAIRDEBT_KEYS accepted")
	}
}

func TestPasswords(t *testing.T) {
	h, err := HashPassword("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(h, "staple") {
		t.Fatalf("hash %q", h)
	}
	if h2, _ := HashPassword("correct horse battery staple"); h2 == h {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	for pw, want := range map[string]bool{"correct horse battery staple": true, "correct horse battery stapl": false, "": false,
		"Correct horse battery staple": false} {
		if ok, err := CheckPassword(h, pw); err != nil || ok != want {
			t.Errorf("CheckPassword(%q) = %v, %v; want %v", pw, ok, err, want)
		}
	}
	if _, err := HashPassword(strings.Repeat("x", MaxPasswordLen+1)); err == nil {
		t.Error("an overlong password was hashed")
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=18$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "$argon2id$v=19$m=99999999,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=19456,t=2,p=1$!!$aGFzaGhhc2hoYXNoaGFzaA"} {
		if _, err := CheckPassword(bad, "x"); err == nil {
			t.Errorf("CheckPassword accepted the malformed hash %q", bad)
		}
	}
}
