package httpauth_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"

	"github.com/mailbridge/mailbridge/internal/httpauth"
)

// directory is a stand-in for the simulator's account store.
type directory map[string]string // login -> password

func (d directory) LookupPassword(_ context.Context, login string) (string, string, bool) {
	pw, ok := d[login]
	return "alice@contoso.com", pw, ok
}

// The server needs the handler and both connection hooks, and must not
// offer HTTP/2.
func ExampleAuthenticator_Wrap() {
	auth, err := httpauth.New(httpauth.Config{
		Basic:         true,
		NTLM:          true,
		NetBIOSDomain: "CONTOSO",
		ServerName:    "EXCH01",
		DNSDomain:     "contoso.com",
		Accounts:      directory{`CONTOSO\alice`: "Passw0rd!", "alice@contoso.com": "Passw0rd!"},
	})
	if err != nil {
		panic(err)
	}
	ews := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := httpauth.IdentityFrom(r.Context())
		fmt.Fprintf(w, "hello %s (%s)", id.User, id.Method)
	})
	srv := &http.Server{
		Addr:         ":8443",
		Handler:      auth.Wrap(ews),
		ConnContext:  auth.ConnContext,
		ConnState:    auth.ConnState,
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
	}
	_ = srv // srv.ListenAndServeTLS(cert, key)
}
