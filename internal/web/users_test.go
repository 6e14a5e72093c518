package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// signedIn returns a browser logged in as a new admin of the organization.
func (e *env) signedIn(t *testing.T, org int64) *browser {
	t.Helper()
	email := e.admin(t, org, fmt.Sprintf("admin%d@org.test", org))
	b := e.browser(t)
	b.mustLogin(email, adminPassword)
	return b
}

func TestAddAndRemoveUsers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := e.Org(t, "Contoso")
	b := e.signedIn(t, org)
	base := "/orgs/" + itoa(org)
	page := b.get(base + "/users")
	wantContains(t, page, "No users yet.", `<label for="add-email">Email address</label>`, `<label for="add-display-name">Display name (optional)</label>`,
		`<label for="import-text">Paste addresses or CSV</label>`, `<label for="import-file">Or upload a CSV file</label>`,
		`<label for="group-address">Distribution group address</label>`)

	cases := []struct {
		name, email, display string
		status               int
		msg                  string
	}{
		{"valid", "Alice@Contoso.com", "Alice Smith", http.StatusSeeOther, "Added alice@contoso.com."},
		{"empty", "", "", http.StatusUnprocessableEntity, "Enter an email address."},
		{"not an address", "alice", "", http.StatusUnprocessableEntity, "is not an email address"},
		{"with a name", "Bob <bob@contoso.com>", "", http.StatusUnprocessableEntity, "is not an email address"},
		{"duplicate", " ALICE@contoso.com ", "", http.StatusUnprocessableEntity, "alice@contoso.com is already a user of this organization."},
	}
	for _, c := range cases {
		r := b.post(base+"/users", url.Values{"email": {c.email}, "display_name": {c.display}})
		if r.status != c.status {
			t.Fatalf("%s: status %d, want %d\n%s", c.name, r.status, c.status, r.body)
		}
		if r.status == http.StatusSeeOther {
			r = b.follow(r)
		} else {
			// The message is next to the field, and what was typed is kept.
			wantContains(t, r, `id="add-email-error"`, `aria-invalid="true"`)
			if c.email != "" {
				wantContains(t, r, `value="`+htmlEscape(c.email)+`"`)
			}
		}
		wantContains(t, r, htmlEscape(c.msg))
	}
	if got := e.Emails(t, org); !slices.Equal(got, []string{"alice@contoso.com"}) {
		t.Fatalf("users %v", got)
	}
	page = b.get(base + "/users")
	wantContains(t, page, "alice@contoso.com", "Alice Smith", "Added by hand", "Not checked", `aria-label="Remove alice@contoso.com"`)

	users, _ := e.Service.ListUsers(ctx, e.Operator, org)
	r := b.post(base+"/users/"+itoa(users[0].ID)+"/remove", nil)
	wantStatus(t, r, http.StatusSeeOther)
	wantContains(t, b.follow(r), "Removed alice@contoso.com.")
	if got := e.Emails(t, org); len(got) != 0 {
		t.Fatalf("users %v", got)
	}
	// Removing again: gone.
	wantStatus(t, b.post(base+"/users/"+itoa(users[0].ID)+"/remove", nil), http.StatusNotFound)
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}

func TestImportUsers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.browser(t)
	b.mustLogin(opEmail, opPassword)

	t.Run("paste", func(t *testing.T) {
		org := e.Org(t, "Paste", "alice@contoso.com")
		list := "DisplayName,PrimarySmtpAddress\nAlice,alice@contoso.com\n\"Jones, Bob\",bob@contoso.com\nCarol,carol@contoso.com\nCarol again,CAROL@contoso.com\n"
		r := b.postMultipart("/orgs/"+itoa(org)+"/users/import", map[string]string{"list": list}, "", nil)
		wantStatus(t, r, http.StatusSeeOther)
		page := b.follow(r)
		wantContains(t, page, "Imported 2 users from the list.", "Already there, left as they were: 1 (alice@contoso.com).",
			"Listed more than once (imported once): 1.", "Jones, Bob", "CSV import")
		if got := e.Emails(t, org); !slices.Equal(got, []string{"alice@contoso.com", "bob@contoso.com", "carol@contoso.com"}) {
			t.Fatalf("users %v", got)
		}
	})
	t.Run("upload", func(t *testing.T) {
		org := e.Org(t, "Upload")
		file := "\ufeffEmail;Name\r\ndave@contoso.com;Dave\r\nerin@contoso.com;Erin\r\n"
		r := b.postMultipart("/orgs/"+itoa(org)+"/users/import", map[string]string{"list": ""}, "users.csv", []byte(file))
		wantStatus(t, r, http.StatusSeeOther)
		wantContains(t, b.follow(r), "Imported 2 users from the list.")
		if got := e.Emails(t, org); !slices.Equal(got, []string{"dave@contoso.com", "erin@contoso.com"}) {
			t.Fatalf("users %v", got)
		}
	})
	t.Run("bad lines import nothing", func(t *testing.T) {
		org := e.Org(t, "Bad", "alice@contoso.com")
		list := "bob@contoso.com\nnot-an-address@\ncarol@contoso.com\njust some words\n"
		r := b.postMultipart("/orgs/"+itoa(org)+"/users/import", map[string]string{"list": list}, "", nil)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r, "Nothing was imported: 2 lines of the list are not understood.",
			"<td class=\"num\">2</td>", "not-an-address@", "<td class=\"num\">4</td>", "This line has no email address.",
			// The list is kept to be fixed.
			"just some words\n</textarea>")
		if got := e.Emails(t, org); !slices.Equal(got, []string{"alice@contoso.com"}) {
			t.Fatalf("half-imported: %v", got)
		}
	})
	t.Run("empty and both", func(t *testing.T) {
		org := e.Org(t, "Empty")
		r := b.postMultipart("/orgs/"+itoa(org)+"/users/import", map[string]string{"list": "  "}, "", nil)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r, "Paste addresses or choose a CSV file to upload.")
		r = b.postMultipart("/orgs/"+itoa(org)+"/users/import", map[string]string{"list": "a@contoso.com"}, "u.csv", []byte("b@contoso.com"))
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r, "Paste a list or upload a file, not both.")
		r = b.postMultipart("/orgs/"+itoa(org)+"/users/import", map[string]string{"list": "Name,Title\nAlice,CEO\n"}, "", nil)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r, "no column is named like an address")
		if got := e.Emails(t, org); len(got) != 0 {
			t.Fatalf("users %v", got)
		}
	})
	t.Run("10,000 lines", func(t *testing.T) {
		org := e.Org(t, "Big", "user00007@big.test")
		var sb strings.Builder
		sb.WriteString("Email,DisplayName\n")
		for i := range 10000 {
			fmt.Fprintf(&sb, "user%05d@big.test,User %d\n", i, i)
		}
		r := b.postMultipart("/orgs/"+itoa(org)+"/users/import", map[string]string{"list": ""}, "big.csv", []byte(sb.String()))
		wantStatus(t, r, http.StatusSeeOther)
		page := b.follow(r)
		wantContains(t, page, "Imported 9,999 users from the list.", "Already there, left as they were: 1 (user00007@big.test).",
			">10,000</span>", "Page 1 of 100")
		if got := e.Emails(t, org); len(got) != 10000 {
			t.Fatalf("%d users", len(got))
		}
		// Pages and search.
		wantContains(t, b.get("/orgs/"+itoa(org)+"/users?page=100"), "user09999@big.test", "Page 100 of 100")
		s := b.get("/orgs/" + itoa(org) + "/users?q=user01234")
		wantContains(t, s, "user01234@big.test")
		if strings.Contains(s.body, "user01235@big.test") {
			t.Fatal("search shows other users")
		}
		// Again: nothing new, nothing lost.
		r = b.postMultipart("/orgs/"+itoa(org)+"/users/import", map[string]string{"list": ""}, "big.csv", []byte(sb.String()))
		wantStatus(t, r, http.StatusSeeOther)
		wantContains(t, b.follow(r), "No new users in the list: everyone is already a user.")
	})
	t.Run("too large", func(t *testing.T) {
		org := e.Org(t, "Huge")
		huge := strings.Repeat("x", 17<<20)
		r := b.postMultipart("/orgs/"+itoa(org)+"/users/import", map[string]string{"list": ""}, "huge.csv", []byte(huge))
		wantStatus(t, r, http.StatusRequestEntityTooLarge)
		wantContains(t, r, "Split it into smaller files")
		// Between one and two limits, the list itself is refused.
		r = b.postMultipart("/orgs/"+itoa(org)+"/users/import", map[string]string{"list": ""}, "big.csv", []byte(strings.Repeat("x", 9<<20)))
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantContains(t, r, "larger than 8 MB")
		if got := e.Emails(t, org); len(got) != 0 {
			t.Fatalf("users %v", got)
		}
	})
}

func TestImportGroup(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := e.Org(t, "Contoso", "alice@contoso.com")
	b := e.signedIn(t, org)
	base := "/orgs/" + itoa(org)
	r := b.post(base+"/users/group", url.Values{"group": {"sales@contoso.com"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantContains(t, r, "Save the Email Configuration first", `value="sales@contoso.com"`)

	wantStatus(t, b.post(base+"/email", contosoForm()), http.StatusSeeOther)
	r = b.post(base+"/users/group", url.Values{"group": {"nosuchgroup@contoso.com"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantContains(t, r, "Exchange knows no distribution group nosuchgroup@contoso.com.", `id="group-address-error"`)
	r = b.post(base+"/users/group", url.Values{"group": {"not an address"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)

	r = b.post(base+"/users/group", url.Values{"group": {"Sales@Contoso.com"}})
	wantStatus(t, r, http.StatusSeeOther)
	page := b.follow(r)
	wantContains(t, page, "Imported 5 users from the group sales@contoso.com.", "Already there, left as they were: 1 (alice@contoso.com).",
		"Group sales@contoso.com")
	want := []string{"alice@contoso.com", "bob@contoso.com", "carol@contoso.com", "dave@contoso.com", "erin@contoso.com", "frank@contoso.com"}
	if got := e.Emails(t, org); !slices.Equal(got, want) {
		t.Fatalf("users %v", got)
	}
	// Exchange refusing the saved account: its answer, in words, on the field.
	wrong := e.Org(t, "Wrong password")
	wb := e.signedIn(t, wrong)
	wbase := "/orgs/" + itoa(wrong)
	form := contosoForm()
	form.Set("password", "Not-The-Pass-42")
	wantStatus(t, wb.post(wbase+"/email", form), http.StatusSeeOther)
	r = wb.post(wbase+"/users/group", url.Values{"group": {"sales@contoso.com"}})
	wantStatus(t, r, http.StatusBadGateway)
	wantContains(t, r, "Exchange could not expand sales@contoso.com: Exchange refused the service account&#39;s credentials", `id="group-address-error"`)
}
