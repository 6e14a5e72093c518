package control_test

import "context"

// The tests' environment is controltest.Env, shared with internal/web and internal/api.

var ctx = context.Background()
