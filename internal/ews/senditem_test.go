package ews_test

import (
	"bytes"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsschema"
)

func sendItemCases() []opCase {
	return []opCase{
		{golden: "SendItem.request.xml", op: ews.OpSendItem, body: &ews.SendItemRequest{
			SaveItemToFolder:  ews.Bool(true),
			ItemIds:           ews.ItemIds{Ids: []ews.BaseItemId{ews.ItemRef(ews.ItemId{Id: "AAMkDraft1=", ChangeKey: "CQAAABYA"}), ews.ItemRef(ews.ItemId{Id: "AAMkDraft2="})}},
			SavedItemFolderId: &ews.FolderIds{Ids: []ews.BaseFolderId{ews.DistinguishedFolder("sentitems")}},
		}},
		{golden: "SendItem.response.xml", response: "SendItemResponse", body: &ews.SendItemResponse{ResponseMessages: []ews.SendItemResponseMessage{
			{ResponseMessage: ews.Success()},
			{ResponseMessage: ews.Failure(ews.ErrorStaleObject, "The change key passed in the request does not match the current change key for the item.")},
			{ResponseMessage: ews.Failure(ews.ErrorInvalidItemForOperationSendItem, "The item is not a message and cannot be sent.")},
		}}},
	}
}

// SendItem requests and responses encode to their goldens, decode back to the same values
// and validate against both schema sets.
func TestSendItemGolden(t *testing.T) {
	var paths []string
	for _, c := range sendItemCases() {
		t.Run(c.golden, func(t *testing.T) {
			var b bytes.Buffer
			if err := c.encode(&b); err != nil {
				t.Fatal(err)
			}
			golden(t, c.golden, b.Bytes())
			got, err := c.decode(b.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.body) {
				t.Errorf("round trip:\ngot  %+v\nwant %+v", got, c.body)
			}
		})
		paths = append(paths, filepath.Join("testdata", c.golden))
	}
	ewsschema.ValidateFiles(t, ewsschema.Primary, paths...)
	ewsschema.ValidateFiles(t, ewsschema.Exchange2016, paths...)
}
