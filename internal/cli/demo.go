package cli

import (
	"context"
	"fmt"
	"io"
)

// runDemo runs `mailbridge demo`. Until the admin server exists it runs the simulator
// with the built-in "contoso" scenario over HTTPS, and says so.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, `mailbridge demo: the admin panel and sync engine are not built yet; starting the Exchange simulator alone
("contoso" scenario: svc-sync@contoso.com / Svc-Pass-2026! impersonates alice, carol, dave and erin).`)
	if len(args) == 0 {
		args = []string{"--tls", "--addr", "127.0.0.1:8443"}
	}
	return runSim(ctx, args, stdout, stderr)
}
