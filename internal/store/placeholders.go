package store

import (
	"strconv"
	"strings"
)

// Placeholders returns n query parameters numbered from first on, as both
// databases take them: Placeholders(3, 2) is "$3, $4". It spells IN lists and
// multi-row VALUES.
func Placeholders(first, n int) string {
	var b strings.Builder
	for k := range n {
		if k > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(first+k))
	}
	return b.String()
}
