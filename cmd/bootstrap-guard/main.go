// Command bootstrap-guard checks Lambda code packages for the mistakes that deploy fine and then
// fail every invocation: see `bootstrap-guard -h`.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/bootstrap-guard/bootstrap-guard/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	st, _ := os.Stdout.Stat()
	code := cli.Run(ctx, os.Args[1:], cli.Env{
		Stdout: os.Stdout, Stderr: os.Stderr,
		IsTTY: st != nil && st.Mode()&os.ModeCharDevice != 0,
	})
	stop()
	os.Exit(code)
}
