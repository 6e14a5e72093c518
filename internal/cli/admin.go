package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/mailbridge/mailbridge/internal/app"
	"github.com/mailbridge/mailbridge/internal/control"
	"github.com/mailbridge/mailbridge/internal/secrets"
)

// runAdmin runs `mailbridge admin SUBCOMMAND`: account management from the command line,
// for the first operator and for recovery.
func runAdmin(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	usage := func() {
		fmt.Fprint(stderr, `Usage: mailbridge admin <command> [flags]

Commands:
  create-operator  create an operator account (the first one, or another)
  reset-password   set a new password for an operator or organization admin

The password is never a flag: --password-stdin or --password-env VAR; without either,
a random password is generated and printed once.
`)
	}
	if len(args) == 0 {
		usage()
		return 2
	}
	cmd := args[0]
	if cmd != "create-operator" && cmd != "reset-password" {
		if cmd != "-h" && cmd != "--help" && cmd != "help" {
			fmt.Fprintf(stderr, "mailbridge admin: unknown command %q\n\n", cmd)
		}
		usage()
		return 2
	}
	fs := flag.NewFlagSet("admin "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f serverFlags
	f.registerData(fs)
	email := fs.String("email", "", "the account's email address (its login)")
	name := fs.String("name", "", "the operator's name (create-operator)")
	pwStdin := fs.Bool("password-stdin", false, "read the password from the first line of stdin")
	pwEnv := fs.String("password-env", "", "read the password from this environment variable")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	fail := func(code int, err error) int {
		fmt.Fprintf(stderr, "mailbridge admin %s: %v\n", cmd, err)
		return code
	}
	if *email == "" {
		return fail(2, errors.New("--email is required"))
	}
	if *pwStdin && *pwEnv != "" {
		return fail(2, errors.New("--password-stdin and --password-env are exclusive"))
	}
	logger, err := f.finish(fs, getenv, stderr)
	if err != nil {
		return fail(2, err)
	}
	var password string
	generated := false
	switch {
	case *pwStdin:
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fail(2, err)
		}
		password = strings.TrimRight(line, "\r\n")
	case *pwEnv != "":
		if password = getenv(*pwEnv); password == "" {
			return fail(2, fmt.Errorf("$%s is empty", *pwEnv))
		}
	default:
		tok, err := secrets.NewToken()
		if err != nil {
			return fail(1, err)
		}
		password, generated = tok[:24], true
	}
	cfg := f.cfg
	cfg.GenerateKey = true
	a, err := app.New(ctx, cfg, logger)
	if err != nil {
		return fail(1, err)
	}
	defer a.Close()
	cli := control.Principal{Kind: control.Operator, Label: "cli"}
	switch cmd {
	case "create-operator":
		acc, err := a.Service().CreateOperator(ctx, cli, control.NewAdmin{Email: *email, Name: *name, Password: password})
		if err != nil {
			return fail(inputCode(err), err)
		}
		fmt.Fprintf(stdout, "created operator %s\n", acc.Email)
	case "reset-password":
		if err := a.Service().ResetPassword(ctx, cli, *email, password); err != nil {
			return fail(inputCode(err), err)
		}
		fmt.Fprintf(stdout, "new password set for %s (its sessions have ended)\n", strings.ToLower(*email))
	}
	if generated {
		fmt.Fprintf(stdout, "password: %s\n(shown once: keep it somewhere safe)\n", password)
	}
	return 0
}

// inputCode is 2 for errors in what was typed, 1 otherwise.
func inputCode(err error) int {
	var ie *control.InputError
	if errors.As(err, &ie) {
		return 2
	}
	return 1
}
