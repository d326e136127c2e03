# The us-ma overlay (internal/policy/packs/us-ma.yaml): the us pack plus one cap.
package fairdebt.us_ma

import data.fairdebt.lib
import data.fairdebt.us

a := input.attempt

violations contains v if some v in us.violations

# us-ma.frequency.calls_2_in_7: calls to the debtor; at most 2 connected calls,
# voicemails or calls with no outcome yet in 7 local days.
violations contains "us-ma.frequency.calls_2_in_7" if {
	a.channel == "call"
	lib.role == "debtor"
	n := count([i |
		some i, h in input.history
		h.party == a.party
		h.day <= a.day
		h.day > a.day - 7
		h.channel == "call"
		h.result in {"connected", "voicemail", "pending"}
	])
	n >= 2
}
