# The us pack (internal/policy/packs/us.yaml) in Rego: violations is the set of
# the rule ids an attempt breaks; the attempt is allowed when it is empty.
# Parameters are written in; minutes are after local midnight (21:00 = 1260).
package fairdebt.us

import data.fairdebt.lib

a := input.attempt

# Every channel but letters, which are not sent "at" a time the consumer
# experiences.
timed_channels := {"call", "sms", "im", "email", "visit", "social_post"}

violations contains "us.quiet_hours" if {
	a.channel in timed_channels
	lib.in_window(a.minute, 1260, 480)
}

violations contains "us.inconvenient_times" if {
	lib.role == "debtor"
	a.channel in timed_channels
	some w in input.debtor.inconvenient
	lib.in_window(a.minute, w.start, w.end)
}

# us.frequency.calls_7_in_7: calls to the debtor; at most 7 calls that rang (or
# have no outcome yet) to the person on the attempt's local day and the 6 before.
violations contains "us.frequency.calls_7_in_7" if {
	a.channel == "call"
	lib.role == "debtor"
	n := count([i |
		some i, h in input.history
		h.party == a.party
		h.day <= a.day
		h.day > a.day - 7
		h.channel == "call"
		h.result in {"connected", "no_answer", "voicemail", "pending"}
	])
	n >= 7
}

# us.post_conversation: no call within 7 days of a conversation (or a call with
# no outcome yet) with the person, the conversation's day being day 1.
violations contains "us.post_conversation" if {
	a.channel == "call"
	lib.role == "debtor"
	some h in input.history
	h.party == a.party
	h.channel == "call"
	h.result in {"connected", "pending"}
	h.day <= a.day
	a.day < h.day + 7
}

violations contains "us.hold.attorney" if {
	lib.role in {"debtor", "emergency_contact", "third_party"}
	"attorney" in input.debtor.holds
}

violations contains "us.hold.cease" if {
	lib.role == "debtor"
	"cease" in input.debtor.holds
}

violations contains "us.hold.dispute" if {
	lib.role == "debtor"
	"dispute" in input.debtor.holds
}

violations contains "us.third_party.locate_only" if {
	lib.role in {"emergency_contact", "third_party"}
	not a.purpose in {"locate"}
}

# us.third_party.once: an earlier contact with the person that reached them (or
# whose outcome is not known) uses up the one contact.
violations contains "us.third_party.once" if {
	lib.role in {"emergency_contact", "third_party"}
	some h in input.history
	h.party == a.party
	h.unix <= a.unix
	h.result in {"connected", "voicemail", "delivered", "replied", "pending"}
}

violations contains "us.third_party.objected" if {
	lib.role in {"emergency_contact", "third_party"}
	lib.objected
}

violations contains "us.third_party.no_disclosure" if {
	lib.role in {"emergency_contact", "third_party"}
	"debt_disclosure" in a.content
}

violations contains "us.opt_out.channel" if lib.opted_out

violations contains "us.channel.no_public_social" if a.channel == "social_post"

violations contains "us.content.harassment" if {
	some c in a.content
	c in {"threat_violence", "threat_exposure", "insult"}
}

violations contains "us.content.false_representation" if {
	some c in a.content
	c in {"false_legal", "false_authority", "guarantor_claim", "unauthorized_fee"}
}
