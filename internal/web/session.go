package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mailbridge/mailbridge/internal/control"
)

// Cookie names.
const (
	sessionCookie = "mailbridge_session"
	loginCookie   = "mailbridge_login" // the login form's CSRF nonce (before there is a session)
	flashCookie   = "mailbridge_flash" // a one-shot message across a redirect
)

// csrfHeader carries the session's CSRF token on the script's requests.
const csrfHeader = "X-CSRF-Token"

// multipartMemory is how much of a multipart form is kept in memory; the rest of an
// uploaded file goes to a temporary file.
const multipartMemory = 1 << 20

// session returns the session of the request's cookie.
func (h *Handler) session(r *http.Request) (control.Session, error) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		return control.Session{}, control.ErrUnauthenticated
	}
	return h.svc.SessionFor(r.Context(), ck.Value)
}

// setSessionCookie gives the browser its session; the cookie expires with the session.
func (h *Handler) setSessionCookie(w http.ResponseWriter, s control.Session) {
	maxAge := int(s.ExpiresAt.Sub(h.now()).Seconds())
	if maxAge < 1 {
		maxAge = 1
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: s.Token, Path: "/", Expires: s.ExpiresAt, MaxAge: maxAge,
		HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
}

func (h *Handler) clearCookie(w http.ResponseWriter, name, path string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: path, MaxAge: -1, HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
}

// checkCSRF checks the session's CSRF token, from the X-CSRF-Token header or the form's
// csrf field, in constant time. It parses the form (multipart for the import form).
func (h *Handler) checkCSRF(r *http.Request, s control.Session) error {
	token := r.Header.Get(csrfHeader)
	if token == "" {
		if err := parseForm(r); err != nil {
			return err
		}
		token = r.PostForm.Get("csrf")
	}
	if token == "" || s.CSRFToken == "" || subtle.ConstantTimeCompare([]byte(token), []byte(s.CSRFToken)) != 1 {
		return errCSRF
	}
	return nil
}

// parseForm parses a POST's form, multipart or URL-encoded, within the body limit the
// route set.
func parseForm(r *http.Request) error {
	if r.PostForm != nil {
		return nil
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "multipart/form-data" {
		return r.ParseMultipartForm(multipartMemory)
	}
	return r.ParseForm()
}

// The login form is protected before any session exists by a signed double submit: a
// random nonce in a cookie, and its HMAC under a per-process key in the form.

// loginToken returns the login form's token, setting the nonce cookie when needed.
func (h *Handler) loginToken(w http.ResponseWriter, r *http.Request) string {
	nonce := ""
	if ck, err := r.Cookie(loginCookie); err == nil && validNonce(ck.Value) {
		nonce = ck.Value
	} else {
		b := make([]byte, 32)
		rand.Read(b)
		nonce = base64.RawURLEncoding.EncodeToString(b)
	}
	// Refreshed on every visit, so an open login page stays usable for a while.
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: nonce, Path: "/login", MaxAge: int((2 * time.Hour).Seconds()),
		HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteStrictMode})
	return h.signNonce(nonce)
}

func validNonce(s string) bool {
	b, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil && len(b) == 32
}

func (h *Handler) signNonce(nonce string) string {
	m := hmac.New(sha256.New, h.loginKey)
	m.Write([]byte("login-csrf:" + nonce))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// loginTokenOK checks a submitted login form's token against the nonce cookie.
func (h *Handler) loginTokenOK(r *http.Request, token string) bool {
	ck, err := r.Cookie(loginCookie)
	if err != nil || !validNonce(ck.Value) || token == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(h.signNonce(ck.Value)), []byte(token)) == 1
}

// safeNext returns next if it is a path on this site, else "". Only local paths are
// accepted, so that /login?next=… cannot send anyone elsewhere.
func safeNext(next string) string {
	if next == "" || len(next) > 2048 || next[0] != '/' || strings.HasPrefix(next, "//") {
		return ""
	}
	// Browsers read a backslash as a slash ("/\evil.example"), and control characters
	// are stripped before parsing.
	if strings.ContainsAny(next, "\\") || strings.ContainsFunc(next, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return ""
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return ""
	}
	if u.Path == "/login" || u.Path == "/logout" || strings.HasPrefix(u.Path, "/static/") {
		return ""
	}
	return next
}

// flash is a one-shot message shown on the page a POST redirects to.
type flash struct {
	Kind   string   `json:"k"` // success, info, error
	Title  string   `json:"t"`
	Lines  []string `json:"l,omitempty"`
	Secret string   `json:"s,omitempty"` // a new API token, shown once in a copyable box
}

// maxFlashLines bounds the lines of a flash, to keep its cookie small.
const maxFlashLines = 12

// setFlash seals f into a short-lived cookie, bound to the session.
func (h *Handler) setFlash(w http.ResponseWriter, c *call, f flash) {
	if len(f.Lines) > maxFlashLines {
		more := len(f.Lines) - maxFlashLines + 1
		f.Lines = append(f.Lines[:maxFlashLines-1:maxFlashLines-1], "… and "+itoa(more)+" more.")
	}
	for i, l := range f.Lines {
		if len(l) > 200 {
			f.Lines[i] = l[:200] + "…"
		}
	}
	b, err := json.Marshal(f)
	if err != nil {
		return
	}
	nonce := make([]byte, h.flashAEAD.NonceSize())
	rand.Read(nonce)
	sealed := h.flashAEAD.Seal(nonce, nonce, b, []byte(c.sess.Token))
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: base64.RawURLEncoding.EncodeToString(sealed), Path: "/", MaxAge: 120,
		HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
}

// takeFlash returns the flash of the request, if any, and clears it.
func (h *Handler) takeFlash(w http.ResponseWriter, r *http.Request, sessToken string) *flash {
	ck, err := r.Cookie(flashCookie)
	if err != nil {
		return nil
	}
	h.clearCookie(w, flashCookie, "/")
	raw, err := base64.RawURLEncoding.DecodeString(ck.Value)
	ns := h.flashAEAD.NonceSize()
	if err != nil || len(raw) < ns {
		return nil
	}
	b, err := h.flashAEAD.Open(nil, raw[:ns], raw[ns:], []byte(sessToken))
	if err != nil {
		return nil
	}
	var f flash
	if json.Unmarshal(b, &f) != nil {
		return nil
	}
	return &f
}
