# The us-nyc overlay (internal/policy/packs/us-nyc.yaml): the us pack plus a
# contact cap whose figure changes on 2027-01-01. A rule's dates are compared
# with the attempt's local day, in days since 1970-01-01: 2026-12-31 is day
# 20818, 2027-01-01 day 20819.
package fairdebt.us_nyc

import data.fairdebt.lib
import data.fairdebt.us

a := input.attempt

violations contains v if some v in us.violations

contact_channels := {"call", "sms", "im", "email", "visit"}

# Contacts of any result with the person on those channels in the attempt's
# local day and the 6 before.
contacts_7d := count([i |
	some i, h in input.history
	h.party == a.party
	h.day <= a.day
	h.day > a.day - 7
	h.channel in contact_channels
])

violations contains "us-nyc.frequency.contacts_2_in_7" if {
	a.day <= 20818
	a.channel in contact_channels
	lib.role == "debtor"
	contacts_7d >= 2
}

violations contains "us-nyc.frequency.contacts_3_in_7" if {
	a.day >= 20819
	a.channel in contact_channels
	lib.role == "debtor"
	contacts_7d >= 3
}
