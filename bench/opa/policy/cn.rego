# The cn pack (internal/policy/packs/cn.yaml) in Rego: violations is the set of
# the rule ids an attempt breaks; the attempt is allowed when it is empty.
# Parameters are written in; minutes are after local midnight (22:00 = 1320).
package fairdebt.cn

import data.fairdebt.lib

a := input.attempt

# cn.quiet_hours: every channel, every role, 22:00 to 08:00 debtor-local.
violations contains "cn.quiet_hours" if lib.in_window(a.minute, 1320, 480)

# cn.frequency.connected_calls_per_day: calls to the debtor; at most 3 connected
# (or pending) calls to the person on the attempt's local day.
violations contains "cn.frequency.connected_calls_per_day" if {
	a.channel == "call"
	lib.role == "debtor"
	n := count([i |
		some i, h in input.history
		h.party == a.party
		h.day == a.day
		h.channel == "call"
		h.result in {"connected", "pending"}
	])
	n >= 3
}

# cn.frequency.call_attempts_per_contact_method: calls to anyone; at most 6
# attempts of any result per day to the same person on the same channel.
violations contains "cn.frequency.call_attempts_per_contact_method" if {
	a.channel == "call"
	n := count([i |
		some i, h in input.history
		h.party == a.party
		h.day == a.day
		h.channel == "call"
		h.channel == a.channel
	])
	n >= 6
}

violations contains "cn.third_party.unrelated" if lib.role == "third_party"

violations contains "cn.third_party.consent_required" if {
	lib.role == "emergency_contact"
	not lib.consent
}

violations contains "cn.third_party.objected" if {
	lib.role in {"emergency_contact", "third_party", "attorney"}
	lib.objected
}

violations contains "cn.third_party.locate_only" if {
	lib.role == "emergency_contact"
	not a.purpose in {"locate"}
}

violations contains "cn.third_party.debtor_unreachable_only" if {
	lib.role == "emergency_contact"
	not debtor_unreachable
}

# The debtor's latest 3 contacts up to the attempt's time, newest first; of two
# at the same second the earlier in the history comes first.
debtor_latest := array.slice(
	sort([[0 - h.unix, i, h.result] |
		some i, h in input.history
		h.party == input.debtor.id
		h.unix <= a.unix
	]),
	0, 3,
)

debtor_unreachable if debtor_latest[0][2] in {"invalid_number"}

debtor_unreachable if {
	count(debtor_latest) == 3
	every x in debtor_latest {
		x[2] in {"no_answer", "busy", "voicemail", "invalid_number", "failed"}
	}
}

violations contains "cn.data_minimization.emergency_contacts" if {
	lib.role == "emergency_contact"
	count([id | some id, p in input.parties; p.role == "emergency_contact"]) > 5
}

violations contains "cn.third_party.no_disclosure" if {
	lib.role in {"emergency_contact", "third_party"}
	"debt_disclosure" in a.content
}

violations contains "cn.opt_out.channel" if lib.opted_out

violations contains "cn.channel.no_public_posts" if a.channel == "social_post"

violations contains "cn.visit.two_collectors" if {
	a.channel == "visit"
	a.collectors < 2
}

violations contains "cn.identity.registered_caller_id" if {
	a.channel in {"call", "sms"}
	not a.caller_id_registered
}

violations contains "cn.content.prohibited" if {
	some c in a.content
	c in {
		"threat_violence", "threat_exposure", "false_legal", "false_authority",
		"guarantor_claim", "insult", "induce_borrowing", "unauthorized_fee",
	}
}
