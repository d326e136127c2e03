package api_test

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fairdebt/fairdebt/internal/apitest"

	"github.com/fairdebt/fairdebt/internal/store/storetest"
)

// TestPhoneNumbersNotInDatabaseFile adds people with phone numbers and an ID
// number, then reads the raw database files (main file and write-ahead log): none
// of the numbers may appear in clear text, in any of the forms they were given in.
func TestPhoneNumbersNotInDatabaseFile(t *testing.T) {
	storetest.SQLiteOnly(t)
	env := apitest.Start(t, time.Date(2026, 11, 24, 2, 0, 0, 0, time.UTC))
	f := env.Seed(t) // phones +8610000000001 and +8610000000002
	env.JSON(t, "POST", "/v1/borrowers", env.AdminToken, map[string]any{"id": "B9", "lender_id": f.LenderID, "name": "Privacy Test",
		"timezone": "America/New_York", "pack": "us", "id_number": "110105199001011234",
		"contact_methods": []map[string]string{{"kind": "phone", "value": "+1 (212) 555-0147"}, {"kind": "email", "value": "privacy.test@example.com"}}}, 201, nil)
	env.JSON(t, "POST", "/v1/parties/"+f.ContactID+"/contact-methods", env.AdminToken, map[string]string{"kind": "phone", "value": "+86 100 7777 8888"}, 201, nil)

	secrets := []string{"8610000000001", "8610000000002", "12125550147", "2125550147", "555-0147", "10077778888", "7777 8888",
		"110105199001011234", "privacy.test@example.com"}
	// Read the files while the server runs (WAL holds recent writes) and again after
	// a clean close (checkpointed into the main file).
	check := func(when string) {
		for _, suffix := range []string{"", "-wal"} {
			data, err := os.ReadFile(env.DBPath + suffix)
			if err != nil {
				if suffix == "-wal" && os.IsNotExist(err) {
					continue
				}
				t.Fatal(err)
			}
			for _, s := range secrets {
				if bytes.Contains(data, []byte(s)) {
					t.Errorf("%s: %q appears in clear text in %s", when, s, env.DBPath+suffix)
				}
			}
		}
	}
	check("while serving")
	// The masked forms are what the API shows.
	status, body := env.Do(t, "GET", "/v1/borrowers/B9/parties", env.AdminToken, nil)
	if status != 200 || !strings.Contains(string(body), `"masked":"+12*****0147"`) || strings.Contains(string(body), "2125550147") {
		t.Errorf("parties: %d %s", status, body)
	}
	if err := env.Close(); err != nil {
		t.Fatal(err)
	}
	check("after close")
}
