package notify

import (
	"context"
	"fmt"
	"testing"
)

func TestOutboxKeepsTheLast(t *testing.T) {
	o := NewOutbox(3)
	for i := range 5 {
		if err := o.Send(context.Background(), Message{Kind: "phone", To: fmt.Sprint(i), Text: "code"}); err != nil {
			t.Fatal(err)
		}
	}
	got := o.Messages()
	if len(got) != 3 || got[0].To != "2" || got[2].To != "4" {
		t.Errorf("outbox %+v", got)
	}
	got[0].To = "changed"
	if o.Messages()[0].To != "2" {
		t.Error("Messages shares the outbox's memory")
	}
}
