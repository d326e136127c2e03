// Command fairdebt is the lawful debt-collection system: the compliance gate and
// the tools around it. Run `fairdebt --help` for the commands.
package main

import (
	"os"

	// Embed the IANA time-zone database so decisions never depend on the host's copy.
	_ "time/tzdata"

	"github.com/fairdebt/fairdebt/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
