package webhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"
)

// verify checks a mailbridge delivery as a receiver written without this package would
// (the README's example): the HMAC-SHA256, keyed with the whole secret, of the
// timestamp, a dot and the raw body must equal one of the v1 signatures, and the
// timestamp must be recent.
func verify(r *http.Request, body []byte, secret string) bool {
	var ts string
	var sigs []string
	for _, part := range strings.Split(r.Header.Get("Mailbridge-Signature"), ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || time.Since(time.Unix(sec, 0)).Abs() > 5*time.Minute {
		return false // missing, or too old: a replay
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	want := mac.Sum(nil)
	for _, s := range sigs {
		if got, err := hex.DecodeString(s); err == nil && hmac.Equal(got, want) {
			return true
		}
	}
	return false
}

// A receiver verifies each delivery's signature before trusting it, and ignores a
// Mailbridge-Delivery id it has processed already (retries repeat it).
func Example_receiver() {
	const secret = "whsec_example" // as shown once when the webhook was created
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 10<<20))
		if err != nil || !verify(r, body, secret) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		fmt.Println(r.Header.Get("Mailbridge-Event"), r.Header.Get("Mailbridge-Delivery"))
		w.WriteHeader(http.StatusNoContent) // any 2xx within 10 s
	})
	srv := httptest.NewServer(handler)
	defer srv.Close()

	// What mailbridge sends.
	body := []byte(`{"id":"dlv_1","event":"ping","org_id":1,"created_at":"2026-12-07T09:00:00Z","data":{"type":"ping"}}`)
	t := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(t + "." + string(body)))
	req, _ := http.NewRequest("POST", srv.URL, strings.NewReader(string(body)))
	req.Header.Set("Mailbridge-Event", "ping")
	req.Header.Set("Mailbridge-Delivery", "dlv_1")
	req.Header.Set("Mailbridge-Signature", "t="+t+",v1="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode)
	// Output:
	// ping dlv_1
	// 204
}
