package web

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/mailbridge/mailbridge/internal/control"
	"github.com/mailbridge/mailbridge/internal/store"
)

// usersPerPage is how many users a page of the Users tab lists.
const usersPerPage = 100

// usersData is the Users tab's data.
type usersData struct {
	Users    []store.User // this page's
	Total    int          // users of the organization
	Matching int          // users matching Query
	Query    string
	Page     int
	Pages    int
	PrevURL  string
	NextURL  string
	Counts   statusCounts
	// MaxImportMB is the largest list an import takes.
	MaxImportMB int
	Add         form // email, display_name
	Import      importForm
	Group       form // group
	// Open names the form to show expanded ("add", "import", "group", "retention")
	// after an error.
	Open string
	// Lifecycle is the kept groups and the retention (lifecycle.go).
	Lifecycle lifecycleData
}

type statusCounts struct{ OK, Warning, Failure, Unchecked int }

// importForm is the import form shown again with what was wrong.
type importForm struct {
	Text  string // the pasted list (when not too large to show again)
	Error string
	Lines []control.LineError
	More  int // wrong lines not listed
}

// maxRetypedList is the largest pasted list shown again in the textarea after an error.
const maxRetypedList = 256 << 10

func (h *Handler) usersPage(w http.ResponseWriter, r *http.Request, c *call) error {
	return h.renderUsers(w, r, c, http.StatusOK, usersData{})
}

func (h *Handler) renderUsers(w http.ResponseWriter, r *http.Request, c *call, status int, d usersData) error {
	all, err := h.svc.ListUsers(r.Context(), c.principal(), c.org.ID)
	if err != nil {
		return err
	}
	d.Total, d.MaxImportMB = len(all), control.MaxImportBytes>>20
	if err := h.fillLifecycle(r, c, &d.Lifecycle); err != nil {
		return err
	}
	for _, u := range all {
		switch u.Status {
		case "ok":
			d.Counts.OK++
		case "warning":
			d.Counts.Warning++
		case "failure":
			d.Counts.Failure++
		default:
			d.Counts.Unchecked++
		}
	}
	q := r.URL.Query()
	d.Query = strings.TrimSpace(q.Get("q"))
	matching := all
	if d.Query != "" {
		needle := strings.ToLower(d.Query)
		matching = nil
		for _, u := range all {
			if strings.Contains(u.Email, needle) || strings.Contains(strings.ToLower(u.DisplayName), needle) ||
				(needle == "failure" || needle == "warning" || needle == "ok") && u.Status == needle {
				matching = append(matching, u)
			}
		}
	}
	d.Matching = len(matching)
	d.Pages = max(1, (len(matching)+usersPerPage-1)/usersPerPage)
	d.Page, _ = strconv.Atoi(q.Get("page"))
	d.Page = min(max(d.Page, 1), d.Pages)
	from := (d.Page - 1) * usersPerPage
	d.Users = matching[from:min(from+usersPerPage, len(matching))]
	pageURL := func(n int) string {
		v := url.Values{}
		if d.Query != "" {
			v.Set("q", d.Query)
		}
		if n > 1 {
			v.Set("page", strconv.Itoa(n))
		}
		if len(v) == 0 {
			return orgPath(c, "/users")
		}
		return orgPath(c, "/users") + "?" + v.Encode()
	}
	if d.Page > 1 {
		d.PrevURL = pageURL(d.Page - 1)
	}
	if d.Page < d.Pages {
		d.NextURL = pageURL(d.Page + 1)
	}
	return h.render(w, status, "users", h.page(w, r, c, "Users · "+c.org.Name, "users", d))
}

// addUser adds one user.
func (h *Handler) addUser(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := parseForm(r); err != nil {
		return err
	}
	f := newForm(r, "email", "display_name")
	u, err := h.svc.AddUser(r.Context(), c.principal(), c.org.ID, f.Values["email"], f.Values["display_name"])
	if f.inputErrors(err, map[string]string{"email": "add-email", "display_name": "add-display-name"}) {
		return h.renderUsers(w, r, c, http.StatusUnprocessableEntity, usersData{Add: f, Open: "add"})
	}
	if err != nil {
		return err
	}
	h.setFlash(w, c, flash{Kind: "success", Title: "Added " + u.Email + "."})
	return redirect(w, r, orgPath(c, "/users"))
}

// importUsers adds the users of a pasted list or an uploaded CSV file: all or nothing.
func (h *Handler) importUsers(w http.ResponseWriter, r *http.Request, c *call) error {
	var tooLarge *http.MaxBytesError
	if err := parseForm(r); errors.As(err, &tooLarge) {
		return h.renderUsers(w, r, c, http.StatusRequestEntityTooLarge, usersData{Open: "import",
			Import: importForm{Error: "The list is larger than " + itoa(control.MaxImportBytes>>20) + " MB: split it into smaller files."}})
	} else if err != nil {
		return err
	}
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll()
	}
	text := r.PostForm.Get("list")
	d := usersData{Open: "import"}
	if len(text) <= maxRetypedList {
		d.Import.Text = text
	}
	var list io.Reader
	file, err := uploadedFile(r, "file")
	if err != nil {
		return err
	}
	if file != nil {
		defer file.Close()
	}
	switch {
	case file != nil && strings.TrimSpace(text) != "":
		d.Import.Error = "Paste a list or upload a file, not both."
	case file != nil:
		list = file
	case strings.TrimSpace(text) != "":
		list = strings.NewReader(text)
	default:
		d.Import.Error = "Paste addresses or choose a CSV file to upload."
	}
	if list == nil {
		return h.renderUsers(w, r, c, http.StatusUnprocessableEntity, d)
	}
	res, err := h.svc.ImportUsers(r.Context(), c.principal(), c.org.ID, list)
	var ie *control.ImportError
	if errors.As(err, &ie) {
		d.Import.Lines = ie.Lines
		d.Import.More = ie.Total - len(ie.Lines)
		d.Import.Error = "Nothing was imported: " + itoa(ie.Total) + " line" + plural(ie.Total) + " of the list " + isAre(ie.Total) + " not understood. Fix " + itThem(ie.Total) + " and import again."
		if len(ie.Lines) == 1 && ie.Lines[0].Line == 0 {
			d.Import.Error, d.Import.Lines = "Nothing was imported: "+ie.Lines[0].Message, nil
		}
		return h.renderUsers(w, r, c, http.StatusUnprocessableEntity, d)
	}
	if err != nil {
		return err
	}
	h.setFlash(w, c, importFlash(res, ""))
	return redirect(w, r, orgPath(c, "/users"))
}

// uploadedFile returns the named file of a multipart form, or nil when none was chosen.
func uploadedFile(r *http.Request, name string) (io.ReadCloser, error) {
	if r.MultipartForm == nil || len(r.MultipartForm.File[name]) == 0 {
		return nil, nil
	}
	fh := r.MultipartForm.File[name][0]
	if fh.Filename == "" && fh.Size == 0 {
		return nil, nil
	}
	return fh.Open()
}

// importGroup adds the members of an Exchange distribution group.
func (h *Handler) importGroup(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := parseForm(r); err != nil {
		return err
	}
	f := newForm(r, "group", "keep")
	res, err := h.importGroupForm(r, c, f)
	err = h.unreadablePassword(r, c, err, "email_config", "save it again on the Email Configuration tab.")
	if f.inputErrors(err, map[string]string{"group": "group-address", "email_config": "group-address"}) {
		return h.renderUsers(w, r, c, http.StatusUnprocessableEntity, usersData{Group: f, Open: "group"})
	}
	var ee *control.ExchangeError
	if errors.As(err, &ee) {
		// Exchange's answer, in words for an admin: "expand sales@contoso.com: …".
		f.Errors["group-address"] = "Exchange could not " + ee.Error()
		return h.renderUsers(w, r, c, http.StatusBadGateway, usersData{Group: f, Open: "group"})
	}
	if err != nil {
		return err
	}
	addr := strings.ToLower(strings.TrimSpace(f.Values["group"]))
	h.setFlash(w, c, groupFlash(res, addr, f.Values["keep"] != ""))
	return redirect(w, r, orgPath(c, "/users"))
}

// importFlash sums up an import.
func importFlash(res control.ImportResult, group string) flash {
	from := "the list"
	if group != "" {
		from = "the group " + group
	}
	f := flash{Kind: "success"}
	switch {
	case res.Added > 0:
		f.Title = "Imported " + number(res.Added) + " user" + plural(res.Added) + " from " + from + "."
	default:
		f.Kind, f.Title = "info", "No new users in "+from+": everyone is already a user."
	}
	f.Lines = append(f.Lines, "Added: "+number(res.Added)+".")
	if n := len(res.Existing); n > 0 {
		f.Lines = append(f.Lines, "Already there, left as they were: "+number(n)+" ("+sample(res.Existing, 5)+").")
	}
	if res.Duplicates > 0 {
		f.Lines = append(f.Lines, "Listed more than once (imported once): "+number(res.Duplicates)+".")
	}
	if n := len(res.Skipped); n > 0 {
		f.Lines = append(f.Lines, "Skipped, not people (contacts, rooms, nested groups beyond the limit): "+number(n)+" ("+sample(res.Skipped, 5)+").")
	}
	return f
}

// sample lists the first n items of s, and how many more there are.
func sample(s []string, n int) string {
	if len(s) <= n {
		return strings.Join(s, ", ")
	}
	return strings.Join(s[:n], ", ") + " and " + number(len(s)-n) + " more"
}

// removeUser removes a user.
func (h *Handler) removeUser(w http.ResponseWriter, r *http.Request, c *call) error {
	id, ok := pathID(r, "user")
	if !ok {
		return store.ErrNotFound
	}
	email := ""
	if users, err := h.svc.ListUsers(r.Context(), c.principal(), c.org.ID); err == nil {
		for _, u := range users {
			if u.ID == id {
				email = u.Email
			}
		}
	}
	if err := h.svc.RemoveUser(r.Context(), c.principal(), c.org.ID, id); err != nil {
		return err
	}
	h.setFlash(w, c, flash{Kind: "success", Title: "Removed " + orDefault(email, "the user") + "."})
	return redirect(w, r, orgPath(c, "/users"))
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

func itThem(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}
