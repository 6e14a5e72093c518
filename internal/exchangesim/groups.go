package exchangesim

import (
	"fmt"
	"slices"
)

// SetGroupMembers replaces a distribution group's members (Update-DistributionGroupMember):
// users or other groups, by address. A room list's members must be rooms.
func (w *World) SetGroupMembers(group string, members ...string) error {
	w.dir.mu.Lock()
	defer w.dir.mu.Unlock()
	return w.dir.setGroupMembers(group, members)
}

// AddGroupMembers adds members to a distribution group (Add-DistributionGroupMember);
// members it has already are left as they are.
func (w *World) AddGroupMembers(group string, members ...string) error {
	w.dir.mu.Lock()
	defer w.dir.mu.Unlock()
	g := w.dir.groups[normAddr(group)]
	if g == nil {
		return fmt.Errorf("exchangesim: add members to %q: %w", group, ErrNotFound)
	}
	return w.dir.setGroupMembers(group, append(slices.Clone(g.Members), members...))
}

// RemoveGroupMembers removes members from a distribution group
// (Remove-DistributionGroupMember); addresses that are not members are ignored.
func (w *World) RemoveGroupMembers(group string, members ...string) error {
	w.dir.mu.Lock()
	defer w.dir.mu.Unlock()
	g := w.dir.groups[normAddr(group)]
	if g == nil {
		return fmt.Errorf("exchangesim: remove members from %q: %w", group, ErrNotFound)
	}
	gone := map[string]bool{}
	for _, m := range members {
		gone[normAddr(m)] = true
		if u := w.dir.byAddr[normAddr(m)]; u != nil {
			gone[u.PrimarySMTP] = true
		}
	}
	var keep []string
	for _, m := range g.Members {
		if !gone[m] {
			keep = append(keep, m)
		}
	}
	return w.dir.setGroupMembers(group, keep)
}

// RemoveGroup deletes a distribution group (Remove-DistributionGroup); groups it was a
// member of lose it.
func (w *World) RemoveGroup(group string) error {
	w.dir.mu.Lock()
	defer w.dir.mu.Unlock()
	addr := normAddr(group)
	if w.dir.groups[addr] == nil {
		return fmt.Errorf("exchangesim: remove group %q: %w", group, ErrNotFound)
	}
	delete(w.dir.groups, addr)
	for _, g := range w.dir.groups {
		g.Members = slices.DeleteFunc(g.Members, func(m string) bool { return m == addr })
	}
	return nil
}
