package ewsserver

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsschema"
)

// TestSchemaOperations keeps schemaOperations equal to the request elements of Exchange
// 2016's Services.wsdl (the messages-namespace parts of every …SoapIn message; the
// header parts are in the types namespace), and checks that every operation this package
// can dispatch is among them.
func TestSchemaOperations(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(ewsschema.Dir(t), string(ewsschema.Exchange2016), "Services.wsdl"))
	if err != nil {
		t.Fatal(err)
	}
	var wsdl struct {
		Messages []struct {
			Name  string `xml:"name,attr"`
			Parts []struct {
				Element string `xml:"element,attr"`
			} `xml:"part"`
		} `xml:"message"`
	}
	if err := xml.Unmarshal(raw, &wsdl); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, m := range wsdl.Messages {
		if !strings.HasSuffix(m.Name, "SoapIn") {
			continue
		}
		for _, p := range m.Parts {
			if op, ok := strings.CutPrefix(p.Element, "tns:"); ok {
				want = append(want, op)
			}
		}
	}
	var got []string
	for op := range schemaOperations {
		got = append(got, op)
	}
	slices.Sort(want)
	slices.Sort(got)
	if len(want) < 100 || !slices.Equal(got, want) {
		t.Errorf("schemaOperations differ from the WSDL:\n got  %v\n want %v", got, want)
	}
	for _, op := range []string{ews.OpConvertId, ews.OpCreateItem, ews.OpDeleteItem, ews.OpExpandDL, ews.OpFindFolder,
		ews.OpFindItem, ews.OpGetEvents, ews.OpGetFolder, ews.OpGetItem, ews.OpGetRoomLists, ews.OpGetRooms,
		ews.OpGetServerTimeZones, ews.OpGetStreamingEvents, ews.OpGetUserAvailability, ews.OpResolveNames,
		ews.OpSendItem, ews.OpSubscribe, ews.OpSyncFolderHierarchy, ews.OpSyncFolderItems, ews.OpUnsubscribe,
		ews.OpUpdateItem} {
		if _, ok := schemaOperations[op]; !ok {
			t.Errorf("%s is served but not in the schema list", op)
		}
	}
}
