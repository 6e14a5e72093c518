package ewsserver_test

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsschema"
	"github.com/mailbridge/mailbridge/internal/ews/ewsserver"
)

// GetServerTimeZones answers with the zones asked for, names only.
func (b *dirBackend) GetServerTimeZones(_ context.Context, _ *ewsserver.Call, req *ews.GetServerTimeZonesRequest) (*ews.GetServerTimeZonesResponse, error) {
	msg := ews.GetServerTimeZonesResponseMessage{ResponseMessage: ews.Success()}
	for _, id := range req.Ids {
		msg.TimeZoneDefinitions.Definitions = append(msg.TimeZoneDefinitions.Definitions, ews.ServerTimeZone{Id: id, Name: "(UTC) " + id})
	}
	return &ews.GetServerTimeZonesResponse{ResponseMessages: []ews.GetServerTimeZonesResponseMessage{msg}}, nil
}

// sendBackend serves SendItem: ids starting with "stale" are refused.
type sendBackend struct {
	testBackend
	got *ews.SendItemRequest
}

func (b *sendBackend) SendItem(_ context.Context, _ *ewsserver.Call, req *ews.SendItemRequest) (*ews.SendItemResponse, error) {
	b.got = req
	resp := &ews.SendItemResponse{}
	for _, id := range req.ItemIds.Ids {
		m := ews.SendItemResponseMessage{ResponseMessage: ews.Success()}
		if len(id.Id) >= 5 && id.Id[:5] == "stale" {
			m.ResponseMessage = ews.Failure(ews.ErrorStaleObject, "The change key passed in the request does not match the current change key for the item.")
		}
		resp.ResponseMessages = append(resp.ResponseMessages, m)
	}
	return resp, nil
}

// GetServerTimeZones (as exchangelib sends it) and SendItem are registered, dispatched to
// their backends, and answered with schema-valid responses.
func TestGetServerTimeZonesAndSendItem(t *testing.T) {
	if !slices.Contains(ewsserver.New(&dirBackend{}, ewsserver.Options{}).Operations(), ews.OpGetServerTimeZones) {
		t.Error("GetServerTimeZones not registered")
	}
	sb := &sendBackend{}
	if !slices.Contains(ewsserver.New(sb, ewsserver.Options{}).Operations(), ews.OpSendItem) {
		t.Error("SendItem not registered")
	}

	t.Run("GetServerTimeZones", func(t *testing.T) {
		doc, err := os.ReadFile(filepath.Join("..", "testdata", "exchangelib", "GetServerTimeZones.request.xml"))
		if err != nil {
			t.Fatal(err)
		}
		resp, body := post(t, serve(t, &dirBackend{}), "svc@example.com", string(doc))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
		var got ews.GetServerTimeZonesResponse
		if _, err := ews.DecodeResponse(bytes.NewReader(body), "GetServerTimeZonesResponse", &got); err != nil {
			t.Fatal(err)
		}
		if defs := got.ResponseMessages[0].TimeZoneDefinitions.Definitions; len(defs) != 1 || defs[0].Id != "UTC" {
			t.Errorf("definitions %+v", defs)
		}
		ewsschema.Validate(t, ewsschema.Exchange2016, "GetServerTimeZones.response.xml", body)
	})

	t.Run("SendItem", func(t *testing.T) {
		doc := strings.Replace(request(ews.OpSendItem, version2016,
			`<m:ItemIds><t:ItemId Id="AAMkDraft=" ChangeKey="CQAAAA=="/><t:ItemId Id="stale=" ChangeKey="CQAAAA=="/></m:ItemIds>`+
				`<m:SavedItemFolderId><t:DistinguishedFolderId Id="sentitems"/></m:SavedItemFolderId>`),
			"<m:SendItem>", `<m:SendItem SaveItemToFolder="true">`, 1)
		resp, body := post(t, serve(t, sb), "svc@example.com", doc)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
		var got ews.SendItemResponse
		if _, err := ews.DecodeResponse(bytes.NewReader(body), "SendItemResponse", &got); err != nil {
			t.Fatal(err)
		}
		if len(got.ResponseMessages) != 2 || got.ResponseMessages[0].Err() != nil || ews.Code(got.ResponseMessages[1].Err()) != ews.ErrorStaleObject {
			t.Errorf("messages %+v", got.ResponseMessages)
		}
		if sb.got == nil || sb.got.SaveItemToFolder == nil || !*sb.got.SaveItemToFolder ||
			sb.got.SavedItemFolderId == nil || sb.got.SavedItemFolderId.Ids[0].Id != "sentitems" {
			t.Errorf("request %+v", sb.got)
		}
		ewsschema.Validate(t, ewsschema.Exchange2016, "SendItem.response.xml", body)
	})
}
