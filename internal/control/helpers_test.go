package control_test

import (
	"context"
	"encoding/json"
)

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

func contextWithCancel() (context.Context, context.CancelFunc) { return context.WithCancel(ctx) }
