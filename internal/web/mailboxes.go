package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mailbridge/mailbridge/internal/control"
	"github.com/mailbridge/mailbridge/internal/store"
)

// mailboxesPerPage is how many mailboxes a page of the Mailboxes tab lists.
const mailboxesPerPage = 100

// mailboxShow is a choice of the Mailboxes tab's status filter: the summary strip's
// buckets, where paused and stopped mailboxes count by their state and active ones by
// their status.
type mailboxShow struct {
	Value  string
	Label  string
	filter control.MailboxFilter
}

var mailboxShows = []mailboxShow{
	{Value: "", Label: "All mailboxes"},
	{Value: "ok", Label: "OK", filter: control.MailboxFilter{State: control.MailboxActive, Status: control.SyncOK}},
	{Value: "syncing", Label: "Syncing", filter: control.MailboxFilter{State: control.MailboxActive, Status: control.SyncSyncing}},
	{Value: "pending", Label: "Pending", filter: control.MailboxFilter{State: control.MailboxActive, Status: control.SyncPending}},
	{Value: "error", Label: "Error", filter: control.MailboxFilter{State: control.MailboxActive, Status: control.SyncError}},
	{Value: "paused", Label: "Paused", filter: control.MailboxFilter{State: control.MailboxPaused}},
	{Value: "stopped", Label: "Stopped", filter: control.MailboxFilter{State: control.MailboxStopped}},
}

// findShow returns the filter choice of a value; an unknown one shows everything.
func findShow(v string) mailboxShow {
	for _, s := range mailboxShows {
		if s.Value == v {
			return s
		}
	}
	return mailboxShows[0]
}

// mailboxesData is the Mailboxes tab's data.
type mailboxesData struct {
	Summary   control.SyncSummary
	Mailboxes []control.MailboxView // this page's
	Matching  int                   // mailboxes matching the filters
	Shows     []mailboxShow
	Show      string // the status filter's value
	Query     string
	Filtered  bool
	Page      int
	Pages     int
	PrevURL   string
	NextURL   string
	// Access is the saved configuration's access type ("" when none is saved): what the
	// page says the mailboxes are read through.
	Access string
}

func (h *Handler) mailboxesPage(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	show := findShow(q.Get("status"))
	d := mailboxesData{Shows: mailboxShows, Show: show.Value, Query: strings.TrimSpace(q.Get("q"))}
	d.Filtered = d.Show != "" || d.Query != ""
	var err error
	if d.Summary, err = h.svc.MailboxSummary(r.Context(), c.principal(), c.org.ID); err != nil {
		return err
	}
	if cfg, err := h.svc.GetEmailConfig(r.Context(), c.principal(), c.org.ID); err == nil && cfg.Exists {
		d.Access = cfg.AccessType
	}
	filter := show.filter
	filter.Query = d.Query
	all, err := h.svc.ListMailboxes(r.Context(), c.principal(), c.org.ID, filter)
	if err != nil {
		return err
	}
	d.Matching = len(all)
	d.Pages = max(1, (len(all)+mailboxesPerPage-1)/mailboxesPerPage)
	d.Page, _ = strconv.Atoi(q.Get("page"))
	d.Page = min(max(d.Page, 1), d.Pages)
	from := (d.Page - 1) * mailboxesPerPage
	d.Mailboxes = all[from:min(from+mailboxesPerPage, len(all))]
	if d.Page > 1 {
		d.PrevURL = mailboxesURL(c, d.Show, d.Query, d.Page-1)
	}
	if d.Page < d.Pages {
		d.NextURL = mailboxesURL(c, d.Show, d.Query, d.Page+1)
	}
	return h.render(w, http.StatusOK, "mailboxes", h.page(w, r, c, "Mailboxes · "+c.org.Name, "mailboxes", d))
}

// mailboxesURL is the Mailboxes tab with its filters and page.
func mailboxesURL(c *call, show, query string, page int) string {
	v := url.Values{}
	if s := findShow(show); s.Value != "" {
		v.Set("status", s.Value)
	}
	if query != "" {
		v.Set("q", query)
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	if len(v) == 0 {
		return orgPath(c, "/mailboxes")
	}
	return orgPath(c, "/mailboxes") + "?" + v.Encode()
}

// mailboxData is a mailbox's page.
type mailboxData struct {
	control.MailboxDetail
	Keep int // how many changes the history keeps
}

// mailboxPage shows one mailbox: its status explained, its items by kind and its
// status history.
func (h *Handler) mailboxPage(w http.ResponseWriter, r *http.Request, c *call) error {
	id, ok := pathID(r, "user")
	if !ok {
		return store.ErrNotFound
	}
	d, err := h.svc.GetMailboxDetail(r.Context(), c.principal(), c.org.ID, id)
	if err != nil {
		return err
	}
	return h.render(w, http.StatusOK, "mailbox", h.page(w, r, c, d.Mailbox.Email+" · Mailboxes · "+c.org.Name, "mailboxes",
		mailboxData{MailboxDetail: d, Keep: store.HistoryKeep}))
}

func (h *Handler) pauseMailbox(w http.ResponseWriter, r *http.Request, c *call) error {
	return h.setMailboxState(w, r, c, true)
}

func (h *Handler) resumeMailbox(w http.ResponseWriter, r *http.Request, c *call) error {
	return h.setMailboxState(w, r, c, false)
}

// setMailboxState pauses or resumes a mailbox, then goes back to the mailbox's page
// when it came from there, or to the list as it was filtered.
func (h *Handler) setMailboxState(w http.ResponseWriter, r *http.Request, c *call, pause bool) error {
	id, ok := pathID(r, "user")
	if !ok {
		return store.ErrNotFound
	}
	if err := parseForm(r); err != nil {
		return err
	}
	var (
		m   control.MailboxView
		err error
		f   flash
	)
	if pause {
		m, err = h.svc.PauseMailbox(r.Context(), c.principal(), c.org.ID, id)
		f = flash{Kind: "success", Title: "Paused " + m.Email + ".",
			Lines: []string{"Its mailbox is not synced until it is resumed; saving the Email Configuration leaves it paused."}}
	} else {
		m, err = h.svc.ResumeMailbox(r.Context(), c.principal(), c.org.ID, id)
		f = flash{Kind: "success", Title: "Resumed " + m.Email + ".", Lines: []string{"Its mailbox is synced again."}}
	}
	if err != nil {
		return err
	}
	h.setFlash(w, c, f)
	if r.PostForm.Get("return") == "mailbox" {
		return redirect(w, r, orgPath(c, "/mailboxes/"+itoa(id)))
	}
	page, _ := strconv.Atoi(r.PostForm.Get("page"))
	return redirect(w, r, mailboxesURL(c, r.PostForm.Get("status"), strings.TrimSpace(r.PostForm.Get("q")), page))
}

// kindLabel names a kind of stored item, in the plural.
func kindLabel(k string) string {
	switch k {
	case "message":
		return "Messages"
	case "event":
		return "Events"
	case "contact":
		return "Contacts"
	}
	return k
}

func mailboxStateLabel(s string) string {
	switch s {
	case control.MailboxActive:
		return "Active"
	case control.MailboxPaused:
		return "Paused"
	case control.MailboxStopped:
		return "Stopped"
	}
	return s
}

func mailboxStateClass(s string) string {
	switch s {
	case control.MailboxActive:
		return "badge-ok"
	case control.MailboxStopped:
		return "badge-failure"
	}
	return "badge-none"
}

func syncStatusLabel(s string) string {
	switch s {
	case control.SyncPending:
		return "Pending"
	case control.SyncSyncing:
		return "Syncing"
	case control.SyncOK:
		return "OK"
	case control.SyncError:
		return "Error"
	}
	return s
}

func syncStatusClass(s string) string {
	switch s {
	case control.SyncSyncing:
		return "badge-info"
	case control.SyncOK:
		return "badge-ok"
	case control.SyncError:
		return "badge-failure"
	}
	return "badge-none"
}

// ago says how long before now t was, for a table: "just now", "5 min ago", "3 h ago",
// "2 days ago".
func ago(now, t time.Time) string {
	d := now.Sub(t)
	if d < time.Minute {
		return "just now"
	}
	return durationWords(d) + " ago"
}

// durationWords is a duration for people, to the minute: "5 min", "3 h 20 min",
// "4 days".
func durationWords(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "under a minute"
	case d < time.Hour:
		return itoa(int64(d/time.Minute)) + " min"
	case d < 48*time.Hour:
		s := itoa(int64(d/time.Hour)) + " h"
		if m := int64(d%time.Hour) / int64(time.Minute); m > 0 && d < 10*time.Hour {
			s += " " + itoa(m) + " min"
		}
		return s
	}
	return itoa(int64(d/(24*time.Hour))) + " days"
}
