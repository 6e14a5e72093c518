package exchangesim

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// userDefaultFields are the properties Graph returns for a user without $select.
var userDefaultFields = []string{"businessPhones", "displayName", "givenName", "jobTitle", "mail",
	"mobilePhone", "officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id"}

// graphUserEntity renders a directory user as a Graph user with every property the
// simulator knows; selectFields or userDefaultFields cut it down.
func (s *Simulator) graphUserEntity(u User) map[string]any {
	var mail any
	if u.HasMailbox {
		mail = u.PrimarySMTP
	}
	proxies := []string{"SMTP:" + u.PrimarySMTP}
	for _, p := range u.ProxyAddresses {
		proxies = append(proxies, "smtp:"+p)
	}
	nick, _, _ := strings.Cut(u.PrimarySMTP, "@")
	return map[string]any{
		"id":                s.world.UserObjectID(u),
		"businessPhones":    []string{},
		"displayName":       u.DisplayName,
		"givenName":         nullIfEmpty(u.GivenName),
		"surname":           nullIfEmpty(u.Surname),
		"jobTitle":          nil,
		"mail":              mail,
		"mobilePhone":       nil,
		"officeLocation":    nil,
		"preferredLanguage": nil,
		"userPrincipalName": u.UPN,
		"department":        nullIfEmpty(u.Department),
		"mailNickname":      nick,
		"proxyAddresses":    proxies,
		"accountEnabled":    u.Kind != RecipientRoomMailbox,
		"userType":          "Member",
	}
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func userFields(entity map[string]any, sel []string) map[string]any {
	if len(sel) == 0 {
		sel = userDefaultFields
	}
	out := selectFields(entity, sel)
	delete(out, "@odata.type")
	return out
}

// graphListUsers is GET /users: the directory's users, paged by $top (default 100, at
// most 999) with an opaque $skiptoken.
func (s *Simulator) graphListUsers(w http.ResponseWriter, r *http.Request) error {
	if !graphCaller(r.Context()).hasRole(PermUserReadAll, PermDirectoryReadAll) {
		return errInsufficientPrivileges()
	}
	q := r.URL.Query()
	n, _, err := pageSize(r, 100, 999)
	if err != nil {
		return err
	}
	offset := 0
	if tok := q.Get("$skiptoken"); tok != "" {
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		v, ok := strings.CutPrefix(string(raw), "users:")
		o, err2 := strconv.Atoi(v)
		if err != nil || !ok || err2 != nil || o < 0 {
			return errBadRequest("The specified page token value has expired or is invalid.")
		}
		offset = o
	}
	users := s.world.Directory().Users()
	sel := parseSelect(q.Get("$select"))
	value := []map[string]any{}
	for i := offset; i < len(users) && len(value) < n; i++ {
		value = append(value, userFields(s.graphUserEntity(users[i]), sel))
	}
	resp := map[string]any{"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users", "value": value}
	if next := offset + len(value); next < len(users) {
		nq := url.Values{}
		if len(sel) > 0 {
			nq.Set("$select", strings.Join(sel, ","))
		}
		nq.Set("$top", strconv.Itoa(n))
		nq.Set("$skiptoken", base64.RawURLEncoding.EncodeToString([]byte("users:"+strconv.Itoa(next))))
		resp["@odata.nextLink"] = requestBase(r) + "/v1.0/users?" + nq.Encode()
	}
	writeGraphJSON(w, http.StatusOK, resp)
	return nil
}

// graphGetUser is GET /users/{id | userPrincipalName}.
func (s *Simulator) graphGetUser(w http.ResponseWriter, r *http.Request) error {
	if !graphCaller(r.Context()).hasRole(PermUserReadAll, PermDirectoryReadAll) {
		return errInsufficientPrivileges()
	}
	key := r.PathValue("user")
	u, ok := s.graphUserByKey(key)
	if !ok {
		return &graphErr{status: http.StatusNotFound, code: "Request_ResourceNotFound",
			msg: "Resource '" + key + "' does not exist or one of its queried reference-property objects are not present."}
	}
	out := userFields(s.graphUserEntity(u), parseSelect(r.URL.Query().Get("$select")))
	out["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#users/$entity"
	writeGraphJSON(w, http.StatusOK, out)
	return nil
}
