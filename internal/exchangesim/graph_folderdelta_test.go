package exchangesim_test

import (
	"context"
	"slices"
	"testing"

	"github.com/mailbridge/mailbridge/internal/exchangesim"
)

// mailFolders/delta lists every mail folder (not the calendar or contacts), then, from
// its deltaLink, a folder created and one deleted through the mailbox (as EWS would).
func TestGraphMailFoldersDelta(t *testing.T) {
	t.Parallel()
	s, _ := startM365(t, exchangesim.Options{})
	g := newGraph(t, s)
	names := func(body map[string]any) (created []string, removed []string) {
		for _, v := range body["value"].([]any) {
			e := v.(map[string]any)
			if _, gone := e["@removed"]; gone {
				removed = append(removed, e["id"].(string))
			} else {
				created = append(created, e["displayName"].(string))
			}
		}
		return created, removed
	}
	// Pages of 2 until the deltaLink.
	var all []string
	link := "/users/alice@contoso.com/mailFolders/delta"
	for pages := 0; ; pages++ {
		if pages > 50 {
			t.Fatal("no deltaLink after 50 pages")
		}
		body := g.mustGet(link, "Prefer", "odata.maxpagesize=2")
		c, _ := names(body)
		if len(c) > 2 {
			t.Fatalf("a page of %d folders with maxpagesize 2", len(c))
		}
		all = append(all, c...)
		if d, ok := body["@odata.deltaLink"].(string); ok {
			link = d
			break
		}
		link = body["@odata.nextLink"].(string)
	}
	if !slices.Contains(all, "Inbox") || !slices.Contains(all, "Sent Items") || slices.Contains(all, "Calendar") || slices.Contains(all, "Contacts") {
		t.Fatalf("folders: %q", all)
	}
	if c, r := names(g.mustGet(link)); len(c)+len(r) != 0 {
		t.Fatalf("a quiet round: %q %q", c, r)
	}
	mb, err := s.Sim.World().Mailbox(context.Background(), "alice@contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	f, err := mb.CreateFolder(exchangesim.FolderByName("inbox"), "Projects", "IPF.Note")
	if err != nil {
		t.Fatal(err)
	}
	body := g.mustGet(link)
	if c, _ := names(body); !slices.Equal(c, []string{"Projects"}) {
		t.Fatalf("after a create: %q", c)
	}
	link = body["@odata.deltaLink"].(string)
	if err := mb.DeleteFolder(exchangesim.FolderByID(f.FolderId.Id)); err != nil {
		t.Fatal(err)
	}
	if c, r := names(g.mustGet(link)); len(c) != 0 || len(r) != 1 {
		t.Fatalf("after a delete: %q %q", c, r)
	}
}
