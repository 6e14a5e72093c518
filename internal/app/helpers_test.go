package app_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/mailbridge/mailbridge/internal/app"
	"github.com/mailbridge/mailbridge/internal/control"
)

func strconvFormat(n int64) string { return strconv.FormatInt(n, 10) }

// demoOperator logs in as the demo's operator and returns its principal.
func demoOperator(t *testing.T, d *app.Demo) control.Principal {
	t.Helper()
	sess, err := d.App.Service().Login(context.Background(), d.Operator, d.OperatorPassword, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	return sess.Principal
}
