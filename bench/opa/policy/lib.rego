# Facts about the person contacted, shared by the packs. The input is the
# snapshot and the attempt with what is not a rule precomputed in Go (see
# ../input.go): local day numbers and the attempt's minute of the day in the
# debtor's zone, and the content categories the screener finds in the message.
package fairdebt.lib

# A party the snapshot does not list is an unrelated third party with no
# consent (fail closed), as in fairdebt.
default role := "third_party"

role := input.parties[input.attempt.party].role

default consent := false

consent := input.parties[input.attempt.party].consent

default objected := false

objected := input.parties[input.attempt.party].objected

# in_window reports whether minute m of the day falls in [start, end); a window
# whose end is not after its start runs past midnight.
in_window(m, start, end) if {
	start < end
	m >= start
	m < end
}

in_window(m, start, end) if {
	start >= end
	m >= start
}

in_window(m, start, end) if {
	start >= end
	m < end
}

# opted_out: the person opted out of the attempt's channel.
opted_out if {
	some o in input.optouts
	o.party == input.attempt.party
	o.channel == input.attempt.channel
}
