package exchangesim

import (
	"net/http"

	"github.com/mailbridge/mailbridge/internal/ews"
)

// graphContact renders a contact item as a Graph contact.
func graphContact(it *ews.Item) map[string]any {
	e := baseEntity(it, "#microsoft.graph.contact")
	emails := []map[string]string{}
	if it.EmailAddresses != nil {
		for _, a := range it.EmailAddresses.Entries {
			emails = append(emails, map[string]string{"name": a.Name, "address": a.Value})
		}
	}
	business, home := []string{}, []string{}
	var mobile any
	if it.PhoneNumbers != nil {
		for _, p := range it.PhoneNumbers.Entries {
			switch p.Key {
			case "BusinessPhone", "BusinessPhone2":
				business = append(business, p.Value)
			case "HomePhone", "HomePhone2":
				home = append(home, p.Value)
			case "MobilePhone":
				mobile = p.Value
			}
		}
	}
	e["displayName"] = it.DisplayName
	e["givenName"] = nullIfEmpty(it.GivenName)
	e["surname"] = nullIfEmpty(it.Surname)
	e["middleName"] = nullIfEmpty(it.MiddleName)
	e["nickName"] = nullIfEmpty(it.Nickname)
	e["fileAs"] = it.FileAs
	e["companyName"] = nullIfEmpty(it.CompanyName)
	e["department"] = nullIfEmpty(it.Department)
	e["jobTitle"] = nullIfEmpty(it.JobTitle)
	e["officeLocation"] = nullIfEmpty(it.OfficeLocation)
	e["emailAddresses"] = emails
	e["businessPhones"] = business
	e["homePhones"] = home
	e["mobilePhone"] = mobile
	e["personalNotes"] = it.Notes
	e["birthday"] = graphTime(it.Birthday.Time)
	return e
}

// graphContactsDelta is GET /users/{id}/contacts/delta (the default Contacts folder) and
// GET /users/{id}/contactFolders/{id}/contacts/delta.
func (s *Simulator) graphContactsDelta(w http.ResponseWriter, r *http.Request) error {
	mb, release, err := s.graphMailbox(r, PermContactsRead, PermContactsRW)
	if err != nil {
		return err
	}
	defer release()
	ref := FolderByName("contacts")
	if f := r.PathValue("folder"); f != "" {
		ref = graphFolderRef(f)
	}
	tok, err := s.deltaRequest(r, deltaToken{Kind: "contact", Folder: ref.Id + ref.Distinguished, Dist: ref.Distinguished != "",
		Select: r.URL.Query().Get("$select")})
	if err != nil {
		return err
	}
	return s.graphDelta(w, r, mb, tok, "#microsoft.graph.contact", func(c ItemChange) (map[string]any, bool, bool) {
		if c.Item.Kind() != ews.KindContact {
			return nil, false, false // distribution lists are not contacts in Graph
		}
		return graphContact(&c.Item), false, true
	})
}
