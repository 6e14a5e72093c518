package syncer

import (
	"fmt"
	"strings"
)

// Folders is a selection of the folders the engine syncs in a mailbox; each
// organization has its own (saved with its Email Configuration). The zero value selects
// nothing, which SyncMailbox refuses.
type Folders uint8

// The folders one may select.
const (
	// FolderInbox is the Inbox itself.
	FolderInbox Folders = 1 << iota
	// FolderInboxSubfolders are the mail folders under the Inbox, at any depth.
	FolderInboxSubfolders
	// FolderSentItems is Sent Items.
	FolderSentItems
	// FolderCalendar is the default Calendar.
	FolderCalendar
	// FolderContacts is the default Contacts folder.
	FolderContacts
)

// AllFolders selects every folder: the default.
const AllFolders = FolderInbox | FolderInboxSubfolders | FolderSentItems | FolderCalendar | FolderContacts

// folderNames are the folders' names, as stored, sent by forms and the API, in the
// order they are shown.
var folderNames = []struct {
	f    Folders
	name string
}{
	{FolderInbox, "inbox"},
	{FolderInboxSubfolders, "inbox_subfolders"},
	{FolderSentItems, "sentitems"},
	{FolderCalendar, "calendar"},
	{FolderContacts, "contacts"},
}

// FolderNames lists the names of the selectable folders, in order.
func FolderNames() []string {
	out := make([]string, len(folderNames))
	for i, n := range folderNames {
		out[i] = n.name
	}
	return out
}

// ParseFolders reads a selection from folder names (see FolderNames); repeats are
// allowed, unknown names are an error. No names select nothing.
func ParseFolders(names []string) (Folders, error) {
	var f Folders
	for _, name := range names {
		name = strings.ToLower(strings.TrimSpace(name))
		found := false
		for _, n := range folderNames {
			if n.name == name {
				f |= n.f
				found = true
			}
		}
		if !found {
			return 0, fmt.Errorf("syncer: unknown folder %q (known: %s)", name, strings.Join(FolderNames(), ", "))
		}
	}
	return f, nil
}

// ParseFolderList reads a selection written by String: comma-separated names.
func ParseFolderList(s string) (Folders, error) {
	if strings.TrimSpace(s) == "" {
		return 0, nil
	}
	return ParseFolders(strings.Split(s, ","))
}

// Has tells whether every folder of g is selected.
func (f Folders) Has(g Folders) bool { return f&g == g }

// Names lists the selected folders' names, in the order of FolderNames.
func (f Folders) Names() []string {
	out := []string{}
	for _, n := range folderNames {
		if f.Has(n.f) {
			out = append(out, n.name)
		}
	}
	return out
}

// String writes the selection as comma-separated names (as the store keeps it).
func (f Folders) String() string { return strings.Join(f.Names(), ",") }
