package web_test

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mailbridge/mailbridge/internal/control"
)

// voidElements have no end tag in HTML.
var voidElements = map[string]bool{"area": true, "base": true, "br": true, "col": true, "embed": true, "hr": true, "img": true,
	"input": true, "link": true, "meta": true, "source": true, "track": true, "wbr": true}

// checkHTML parses a page with encoding/xml in its lenient mode, token by token, and
// checks what a browser would not: every element closed in order, ids unique, every
// visible form control with a <label for> naming its id, every button with an
// accessible name, one <h1>, and a language.
func checkHTML(page string) error {
	d := xml.NewDecoder(strings.NewReader(page))
	d.Strict = false
	d.Entity = xml.HTMLEntity
	var (
		stack    []string
		ids      = map[string]int{}
		labelFor = map[string]bool{}
		controls []string
		h1       int
		lang     bool
		// the button being read: its accessible name so far
		inButton   bool
		buttonName string
		problems   []string
	)
	attr := func(se xml.StartElement, name string) (string, bool) {
		for _, a := range se.Attr {
			if a.Name.Local == name {
				return a.Value, true
			}
		}
		return "", false
	}
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("line %d: %v", line(d), err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			name := t.Name.Local
			if id, ok := attr(t, "id"); ok {
				if id == "" {
					problems = append(problems, "an empty id")
				}
				ids[id]++
			}
			switch name {
			case "html":
				_, lang = attr(t, "lang")
			case "h1":
				h1++
			case "label":
				if f, ok := attr(t, "for"); ok {
					labelFor[f] = true
				}
			case "input", "select", "textarea":
				typ, _ := attr(t, "type")
				if name == "input" && (typ == "hidden" || typ == "submit" || typ == "button" || typ == "reset" || typ == "image") {
					break
				}
				id, _ := attr(t, "id")
				if id == "" {
					n, _ := attr(t, "name")
					problems = append(problems, fmt.Sprintf("<%s name=%q> has no id", name, n))
				}
				controls = append(controls, name+"#"+id)
			case "button":
				inButton = true
				buttonName, _ = attr(t, "aria-label")
				if _, ok := attr(t, "type"); !ok {
					problems = append(problems, "a <button> without a type")
				}
			}
			if !voidElements[name] {
				stack = append(stack, name)
			}
		case xml.EndElement:
			name := t.Name.Local
			if voidElements[name] {
				continue
			}
			if len(stack) == 0 || stack[len(stack)-1] != name {
				return fmt.Errorf("line %d: </%s> closes <%s>", line(d), name, strings.Join(stack, "><"))
			}
			stack = stack[:len(stack)-1]
			if name == "button" {
				if strings.TrimSpace(buttonName) == "" {
					problems = append(problems, fmt.Sprintf("line %d: a button without an accessible name", line(d)))
				}
				inButton = false
			}
		case xml.CharData:
			if inButton {
				buttonName += string(t)
			}
		}
	}
	if len(stack) > 0 {
		return fmt.Errorf("unclosed elements: <%s>", strings.Join(stack, "><"))
	}
	for id, n := range ids {
		if n > 1 {
			problems = append(problems, fmt.Sprintf("id %q used %d times", id, n))
		}
	}
	for _, c := range controls {
		_, id, _ := strings.Cut(c, "#")
		if !labelFor[id] {
			problems = append(problems, fmt.Sprintf("<%s> has no <label for>", c))
		}
	}
	if h1 != 1 {
		problems = append(problems, fmt.Sprintf("%d <h1> elements", h1))
	}
	if !lang {
		problems = append(problems, "<html> without lang")
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// The checker itself catches what it should.
func TestCheckHTML(t *testing.T) {
	t.Parallel()
	ok := `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"></head><body><h1>x</h1><label for="a">A</label><input id="a" name="a" required><button type="button" aria-label="Go"><svg><path d="M0 0"/></svg></button></body></html>`
	if err := checkHTML(ok); err != nil {
		t.Fatalf("valid page: %v", err)
	}
	for name, bad := range map[string]string{
		"unlabelled": strings.Replace(ok, `<label for="a">A</label>`, "", 1),
		"misnested":  strings.Replace(ok, "<h1>x</h1>", "<h1><b>x</h1></b>", 1),
		"unclosed":   strings.Replace(ok, "</body>", "<div></body>", 1),
		"nameless":   strings.Replace(ok, `aria-label="Go"`, "", 1),
		"duplicate":  strings.Replace(ok, "<h1>x</h1>", `<h1 id="a">x</h1>`, 1),
	} {
		if checkHTML(bad) == nil {
			t.Errorf("%s: not caught", name)
		}
	}
}

// Every page, in every state worth seeing (empty, full, with errors, with a flash), is
// well formed and labelled.
func TestPagesAreValidHTML(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := e.Org(t, "Contoso", "alice@contoso.com", "bob@contoso.com", "carol@contoso.com", "frank@contoso.com")
	empty := e.Org(t, "Empty")
	e.admin(t, org, "admin@contoso.com")
	in := control.EmailConfigInput{AccessType: control.AccessExchangeImpersonation, AccountLogon: "svc-sync@contoso.com", Password: svcPass, AuthMethod: "ntlm"}
	trail, err := e.Service.Discover(ctx, e.Operator, org, control.DiscoverInput{AccountLogon: in.AccountLogon, Password: svcPass})
	if err != nil {
		t.Fatal(err)
	}
	in.EWSURL, in.Trail = trail.EWSURL, trail
	if _, err := e.Service.SaveEmailConfig(ctx, e.Operator, org, in); err != nil {
		t.Fatal(err)
	}
	out, err := e.Service.RunCheck(ctx, e.Operator, org, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Service.CreateAPIToken(ctx, e.Operator, org, "CRM"); err != nil {
		t.Fatal(err)
	}

	anon := e.browser(t)
	pages := map[string]resp{
		"login":       anon.get("/login?next=/orgs"),
		"login error": anon.login(opEmail, "wrong"),
	}
	b := e.browser(t)
	b.mustLogin(opEmail, opPassword)
	base, emptyBase := "/orgs/"+itoa(org), "/orgs/"+itoa(empty)
	for _, p := range []string{"/orgs", base + "/users", base + "/email", base + "/checks", base + "/checks/" + itoa(out.Run.ID),
		base + "/admins", base + "/tokens", base + "/audit", emptyBase + "/users", emptyBase + "/email", emptyBase + "/checks",
		emptyBase + "/admins", emptyBase + "/tokens", emptyBase + "/audit", base + "/users?q=nobody", "/orgs/999/users", "/nothing/here",
		base + "/mailboxes", base + "/mailboxes?status=error&q=a", base + "/mailboxes?q=nobody", emptyBase + "/mailboxes",
		base + "/mailboxes/" + itoa(e.userIDs(t, org)["alice@contoso.com"]),
		base + "/rooms", base + "/rooms?list=hq-rooms%40contoso.com&date=2026-12-01", base + "/rooms?date=nope",
		base + "/rooms?list=nobody%40contoso.com", emptyBase + "/rooms"} {
		pages["GET "+p] = b.get(p)
	}
	pages["org error"] = b.post("/orgs", url.Values{"name": {""}})
	pages["add user error"] = b.post(base+"/users", url.Values{"email": {"nope"}})
	pages["import error"] = b.postMultipart(base+"/users/import", map[string]string{"list": "x@contoso.com\nnope\n"}, "", nil)
	pages["group error"] = b.post(emptyBase+"/users/group", url.Values{"group": {"sales@contoso.com"}})
	bad := contosoForm()
	bad.Set("ews_url", "ftp://x")
	bad.Set("auth_method", "kerberos")
	pages["email error"] = b.post(base+"/email", bad)
	pages["email conflict"] = b.post(base+"/email", contosoForm())
	noFolders := contosoForm()
	noFolders.Set("sync_folders_shown", "1")
	pages["email no folders"] = b.post(base+"/email", noFolders)
	pages["admin error"] = b.post(base+"/admins", url.Values{"email": {"x"}, "password": {"short"}})
	pages["token error"] = b.post(base+"/tokens", url.Values{"name": {""}})
	pages["csrf error"] = b.post(base+"/tokens", url.Values{"csrf": {"x"}})
	r := b.post(base+"/tokens", url.Values{"name": {"Reporting"}})
	pages["token created"] = b.follow(r)
	r = b.post(base+"/users", url.Values{"email": {"dave@contoso.com"}})
	pages["user added"] = b.follow(r)

	for name, p := range pages {
		if !strings.HasPrefix(p.header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: %d %s", name, p.status, p.header.Get("Content-Type"))
			continue
		}
		if err := checkHTML(p.body); err != nil {
			t.Errorf("%s (%d): %v", name, p.status, err)
		}
	}
	// A few things that must be there.
	wantContains(t, pages["GET "+base+"/email"], "Verified by Autodiscover", `id="wand-result" class="wand-result" aria-live="polite"`, `role="status" aria-live="polite"`)
	wantContains(t, pages["email conflict"], "Someone else saved this configuration meanwhile.")
	if pages["GET /orgs/999/users"].status != http.StatusNotFound || pages["csrf error"].status != http.StatusForbidden {
		t.Errorf("error pages: %d, %d", pages["GET /orgs/999/users"].status, pages["csrf error"].status)
	}
}

func line(d *xml.Decoder) int {
	l, _ := d.InputPos()
	return l
}
