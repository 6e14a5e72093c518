package web

import (
	"errors"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/mailbridge/mailbridge/internal/control"
)

// loginData is the login page's data.
type loginData struct {
	Token string // the login form's CSRF token
	Email string
	Next  string
	Error string
}

// loginPage shows the login form, or sends a signed-in browser on.
func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request, c *call) error {
	next := safeNext(r.URL.Query().Get("next"))
	if _, err := h.session(r); err == nil {
		return redirect(w, r, orDefault(next, "/orgs"))
	}
	return h.renderLogin(w, r, http.StatusOK, loginData{Next: next})
}

func (h *Handler) renderLogin(w http.ResponseWriter, r *http.Request, status int, d loginData) error {
	w.Header().Set("Cache-Control", "no-store")
	d.Token = h.loginToken(w, r)
	return h.render(w, status, "login", view{Title: "Log in", Section: "login", Now: h.now(), Page: d})
}

// loginSubmit checks the credentials and opens a session.
func (h *Handler) loginSubmit(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := r.ParseForm(); err != nil {
		return err
	}
	d := loginData{Email: r.PostForm.Get("email"), Next: safeNext(r.PostForm.Get("next"))}
	if !h.loginTokenOK(r, r.PostForm.Get("csrf")) {
		d.Error = "This login form has expired. Please log in again."
		return h.renderLogin(w, r, http.StatusForbidden, d)
	}
	sess, err := h.svc.Login(r.Context(), d.Email, r.PostForm.Get("password"), clientIP(r))
	var rl *control.RateLimitedError
	switch {
	case errors.Is(err, control.ErrBadCredentials):
		d.Error = "Wrong email address or password."
		return h.renderLogin(w, r, http.StatusUnauthorized, d)
	case errors.As(err, &rl):
		minutes := int(rl.RetryAfter.Round(time.Minute).Minutes())
		if minutes < 1 {
			minutes = 1
		}
		w.Header().Set("Retry-After", strconv.Itoa(int(rl.RetryAfter.Seconds())+1))
		d.Error = "Too many failed logins. Try again in " + strconv.Itoa(minutes) + " minute" + plural(minutes) + "."
		return h.renderLogin(w, r, http.StatusTooManyRequests, d)
	case err != nil:
		return err
	}
	// A session the browser still had ends: each login gets a fresh one.
	if old, err := r.Cookie(sessionCookie); err == nil && old.Value != "" {
		if err := h.svc.Logout(r.Context(), old.Value); err != nil {
			h.log.WarnContext(r.Context(), "web: end previous session", "err", err)
		}
	}
	h.clearCookie(w, loginCookie, "/login")
	h.setSessionCookie(w, sess)
	return redirect(w, r, orDefault(d.Next, "/orgs"))
}

// logout ends the session (the form carries its CSRF token).
func (h *Handler) logout(w http.ResponseWriter, r *http.Request, c *call) error {
	sess, err := h.session(r)
	if errors.Is(err, control.ErrUnauthenticated) {
		h.clearCookie(w, sessionCookie, "/")
		return redirect(w, r, "/login")
	}
	if err != nil {
		return err
	}
	if err := h.checkCSRF(r, sess); err != nil {
		return err
	}
	if err := h.svc.Logout(r.Context(), sess.Token); err != nil {
		return err
	}
	h.clearCookie(w, sessionCookie, "/")
	return redirect(w, r, "/login")
}

// clientIP is the address failed logins are counted against: RemoteAddr without its
// port, since a client opens connections from many ports. Forwarding headers are not
// read (a client could forge them), so behind a reverse proxy every client counts as the
// proxy's address.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
