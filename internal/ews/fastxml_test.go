package ews

import (
	"bytes"
	"encoding/xml"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The fast path must write exactly what encoding/xml writes. These tests fill values of
// every type it covers at random — every field, so that a field added to a type without
// its line in fastxml.go fails here — and compare the two encodings byte for byte.

// escapePieces are the parts random strings are made of: plain text, everything
// encoding/xml escapes or replaces, and malformed UTF-8.
var escapePieces = []string{
	"a", "Subject", " ", "<", ">", "&", `"`, "'", "\t", "\n", "\r", "\r\n", "\x00", "\x01", "\x1f",
	"\x7f", "é", "ü", "€", "\u2028", "\uFFFD", "\uFFFE", "\uFFFF", "\U0001F600", "\U0010FFFF",
	"\xff", "\xc3", "\xe2\x82", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc0\xaf", "]]>", "&amp;",
}

func randomString(r *rand.Rand) string {
	if r.IntN(8) == 0 {
		return ""
	}
	var b strings.Builder
	for range 1 + r.IntN(12) {
		b.WriteString(escapePieces[r.IntN(len(escapePieces))])
	}
	return b.String()
}

func escapeText(s string) string {
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

func TestAppendEscapedMatchesEncodingXML(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	cases := []string{"", "plain", "\xff", "a\xffb", "\uFFFD", "\xef\xbf\xbd", "\xef\xbf", "<a href=\"x\">&'</a>\t\n\r"}
	for range 20000 {
		cases = append(cases, randomString(r))
	}
	// Every single byte, and every byte after a multi-byte lead.
	for c := range 256 {
		cases = append(cases, string([]byte{byte(c)}), string([]byte{0xe2, byte(c), 0x80}))
	}
	for _, s := range cases {
		if got, want := string(appendEscaped([]byte("x"), s)), "x"+escapeText(s); got != want {
			t.Fatalf("appendEscaped(%q) = %q, encoding/xml writes %q", s, got, want)
		}
	}
}

func FuzzAppendEscaped(f *testing.F) {
	for _, p := range escapePieces {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(appendEscaped(nil, s)), escapeText(s); got != want {
			t.Fatalf("appendEscaped(%q) = %q, encoding/xml writes %q", s, got, want)
		}
	})
}

// filler fills values at random. Names (XMLName fields) are drawn from the ones each type
// is written with, and the empty name.
type filler struct {
	r     *rand.Rand
	names map[reflect.Type][]string
}

func newFiller(seed uint64) *filler {
	kinds := []string{"", KindItem, KindMessage, KindCalendarItem, KindContact, KindDistributionList,
		KindMeetingMessage, KindMeetingRequest, KindMeetingResponse, KindMeetingCancellation, KindTask,
		KindPostItem, "t:SharingMessage"}
	return &filler{r: rand.New(rand.NewPCG(seed, 7)), names: map[reflect.Type][]string{
		reflect.TypeFor[Item]():                  kinds,
		reflect.TypeFor[Attachment]():            {"", KindFileAttachment, KindItemAttachment},
		reflect.TypeFor[PropertyPath]():          {"", "t:FieldURI", "t:IndexedFieldURI", "t:ExtendedFieldURI"},
		reflect.TypeFor[SyncFolderItemsChange](): {"", ChangeCreate, ChangeUpdate, ChangeDelete, ChangeReadFlag},
	}}
}

var (
	dateTimeType = reflect.TypeFor[DateTime]()
	nameType     = reflect.TypeFor[xml.Name]()
	itemType     = reflect.TypeFor[Item]()
)

// fill sets v to a random value. depth bounds nesting (items in item attachments);
// nonZero makes v itself non-zero.
func (f *filler) fill(v reflect.Value, depth int, nonZero bool) {
	r := f.r
	switch {
	case v.Type() == dateTimeType:
		if nonZero || r.IntN(4) != 0 {
			zones := []*time.Location{time.UTC, time.FixedZone("X", -7*3600-1800), time.FixedZone("Y", 14*3600)}
			t := time.Date(1900+r.IntN(250), time.Month(1+r.IntN(12)), 1+r.IntN(31), r.IntN(24), r.IntN(60), r.IntN(60), r.IntN(1e9), zones[r.IntN(len(zones))])
			v.Set(reflect.ValueOf(Date(t)))
		}
		return
	case v.Type() == nameType:
		return // set with the struct holding it
	}
	switch v.Kind() {
	case reflect.String:
		s := randomString(r)
		for nonZero && s == "" {
			s = randomString(r)
		}
		v.SetString(s)
	case reflect.Int:
		n := []int{0, 0, 1, -1, 42, 1 << 40, -1 << 50}[r.IntN(7)]
		if nonZero && n == 0 {
			n = 7
		}
		v.SetInt(int64(n))
	case reflect.Bool:
		v.SetBool(r.IntN(2) == 0)
	case reflect.Pointer:
		if !nonZero && (r.IntN(4) == 0 || v.Type().Elem() == itemType && depth > 1) {
			return
		}
		p := reflect.New(v.Type().Elem())
		f.fill(p.Elem(), depth+1, false)
		v.Set(p)
	case reflect.Slice:
		n := r.IntN(4)
		if nonZero && n == 0 {
			n = 1
		}
		if n == 0 && r.IntN(2) == 0 {
			return // nil, or else empty
		}
		s := reflect.MakeSlice(v.Type(), n, n)
		for i := range n {
			f.fill(s.Index(i), depth, false)
		}
		v.Set(s)
	case reflect.Struct:
		for i := range v.NumField() {
			fv := v.Field(i)
			if v.Type().Field(i).Type == nameType {
				names := f.names[v.Type()]
				if len(names) == 0 {
					panic("fill: no names for " + v.Type().String())
				}
				fv.Set(reflect.ValueOf(xml.Name{Local: names[r.IntN(len(names))]}))
				continue
			}
			f.fill(fv, depth, false)
		}
	default:
		panic("fill: unexpected kind " + v.Kind().String())
	}
}

func fillNew[T any](f *filler) *T {
	v := new(T)
	f.fill(reflect.ValueOf(v).Elem(), 0, false)
	return v
}

// referenceItem encodes an Item the way Item.MarshalXML did before it had codecs: by
// reflection over the fields, each value through encoding/xml.
type referenceItem struct{ it *Item }

func (ri referenceItem) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	it := ri.it
	start.Name = it.elementName(start.Name)
	index := make(map[string]int)
	for i := range itemType.NumField() {
		name, _, _ := strings.Cut(itemType.Field(i).Tag.Get("xml"), ",")
		index[name] = i
	}
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	v := reflect.ValueOf(it).Elem()
	for _, f := range kindFields(start.Name.Local) {
		fv := v.Field(index[f.name])
		if fv.IsZero() {
			continue
		}
		if err := e.EncodeElement(fv.Interface(), xml.StartElement{Name: xml.Name{Local: f.name}}); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

// diff shows where got and want first differ.
func diff(got, want string) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	from := max(i-200, 0)
	return "at byte " + strconv.Itoa(i) + ":\n got: …" + got[from:min(i+200, len(got))] + "\nwant: …" + want[from:min(i+200, len(want))]
}

func encodeXML(t *testing.T, v any, name string) string {
	t.Helper()
	var b bytes.Buffer
	e := xml.NewEncoder(&b)
	if err := e.EncodeElement(v, xml.StartElement{Name: xml.Name{Local: name}}); err != nil {
		t.Fatal(err)
	}
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// Items of every kind, with every field at random: the codecs (MarshalXML) write what
// reflection over the fields wrote, and the fast path writes the same.
func TestItemEncodingsAgree(t *testing.T) {
	t.Parallel()
	f := newFiller(1)
	for i := range 3000 {
		it := fillNew[Item](f)
		ref := encodeXML(t, referenceItem{it}, "Item")
		if got := encodeXML(t, *it, "Item"); got != ref {
			t.Fatalf("item %d: MarshalXML and reflection differ %s", i, diff(got, ref))
		}
		if got := string(it.appendXMLElement(nil, "Item")); got != ref {
			t.Fatalf("item %d: the fast path and encoding/xml differ %s", i, diff(got, ref))
		}
		// The name of the field holding an item without XMLName.
		if got, want := string(it.appendXMLElement(nil, "t:Contact")), encodeXML(t, it, "t:Contact"); got != want {
			t.Fatalf("item %d in t:Contact: the fast path and encoding/xml differ %s", i, diff(got, want))
		}
	}
}

// Each codec writes its own field and no other.
func TestItemCodecsReadTheirField(t *testing.T) {
	t.Parallel()
	f := newFiller(2)
	for i := range itemType.NumField() {
		name, _, _ := strings.Cut(itemType.Field(i).Tag.Get("xml"), ",")
		local, ok := strings.CutPrefix(name, "t:")
		if !ok {
			continue
		}
		var it Item
		f.fill(reflect.ValueOf(&it).Elem().Field(i), 0, true)
		for n, c := range itemCodecs {
			out := c.appendXML(nil, &it, "t:"+n)
			var enc bytes.Buffer
			e := xml.NewEncoder(&enc)
			if err := c.encode(e, &it, xml.StartElement{Name: xml.Name{Local: "t:" + n}}); err != nil {
				t.Fatal(err)
			}
			e.Flush()
			if (len(out) > 0) != (n == local) || (enc.Len() > 0) != (n == local) {
				t.Errorf("with only %s set, the codec of t:%s writes %q and encodes %q", itemType.Field(i).Name, n, out, enc.String())
			}
		}
	}
}

// plain response types have the fields of the fast ones but not their methods, so
// encoding/xml encodes them by reflection.
type (
	plainGetItemResponse         GetItemResponse
	plainSyncFolderItemsResponse SyncFolderItemsResponse
)

func TestResponseEncodingsAgree(t *testing.T) {
	t.Parallel()
	f := newFiller(3)
	check := func(t *testing.T, i int, name string, fast xmlContentAppender, plain any) {
		t.Helper()
		var got, want bytes.Buffer
		if err := EncodeResponse(&got, &Exchange2016, name, fast); err != nil {
			t.Fatal(err)
		}
		if err := EncodeResponse(&want, &Exchange2016, name, plain); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Fatalf("%s %d: the fast path and encoding/xml differ %s", name, i, diff(got.String(), want.String()))
		}
		// Into a writer that is not a bytes.Buffer, and into a buffer with content.
		var other strings.Builder
		if err := EncodeResponse(&other, &Exchange2016, name, fast); err != nil || other.String() != want.String() {
			t.Fatalf("%s %d into a strings.Builder: %v %s", name, i, err, diff(other.String(), want.String()))
		}
		pre := bytes.NewBufferString("prefix")
		if err := EncodeResponse(pre, nil, name, fast); err != nil {
			t.Fatal(err)
		}
		var noVersion bytes.Buffer
		EncodeResponse(&noVersion, nil, name, plain)
		if pre.String() != "prefix"+noVersion.String() {
			t.Fatalf("%s %d after a prefix, without a version: %s", name, i, diff(pre.String(), "prefix"+noVersion.String()))
		}
	}
	for i := range 300 {
		g := fillNew[GetItemResponse](f)
		check(t, i, "GetItemResponse", g, (*plainGetItemResponse)(g))
		s := fillNew[SyncFolderItemsResponse](f)
		check(t, i, "SyncFolderItemsResponse", s, (*plainSyncFolderItemsResponse)(s))
	}
	// Versions with characters to escape.
	v := Exchange2016
	v.Version = "V<&>\"\xff"
	var got, want bytes.Buffer
	g := fillNew[GetItemResponse](f)
	EncodeResponse(&got, &v, "GetItemResponse", g)
	EncodeResponse(&want, &v, "GetItemResponse", (*plainGetItemResponse)(g))
	if got.String() != want.String() {
		t.Fatalf("with version %q: %s", v.Version, diff(got.String(), want.String()))
	}
}

func benchmarkItems(n int) *GetItemResponse {
	resp := &GetItemResponse{}
	for range n {
		it := Item{XMLName: xml.Name{Local: KindMessage}, ItemId: &ItemId{Id: "AAMkAGI2", ChangeKey: "CQAAABYA"},
			Subject: "Q3 pipeline review", Sensitivity: "Normal", Size: Int(2400), IsRead: Bool(false),
			Body:         &Body{BodyType: "HTML", Value: strings.Repeat("<p>The budget review will move to Thursday.</p>", 40)},
			DateTimeSent: Date(time.Date(2024, 5, 1, 9, 30, 0, 0, time.UTC)), DateTimeCreated: Date(time.Date(2024, 5, 1, 9, 31, 0, 0, time.UTC)),
			HasAttachments: Bool(false), IsAssociated: Bool(false), IsReadReceiptRequested: Bool(false), IsDeliveryReceiptRequested: Bool(false),
			From:         &SingleRecipient{Mailbox: EmailAddress{Name: "Adele Vance", EmailAddress: "adele@example.com", RoutingType: "SMTP", MailboxType: "Mailbox"}},
			ToRecipients: &Recipients{Mailboxes: []EmailAddress{{Name: "Alex Wilber", EmailAddress: "alex@example.com", RoutingType: "SMTP", MailboxType: "Mailbox"}}},
		}
		resp.ResponseMessages = append(resp.ResponseMessages, GetItemResponseMessage{ResponseMessage: Success(), Items: Items{Items: []Item{it}}})
	}
	return resp
}

// BenchmarkEncodeGetItemResponse encodes a GetItem response of 512 messages with ~2 KB
// HTML bodies, by the fast path and by encoding/xml.
func BenchmarkEncodeGetItemResponse(b *testing.B) {
	resp := benchmarkItems(512)
	for _, c := range []struct {
		name string
		body any
	}{{"fast", resp}, {"encoding-xml", (*plainGetItemResponse)(resp)}} {
		b.Run(c.name, func(b *testing.B) {
			var buf bytes.Buffer
			b.ReportAllocs()
			for range b.N {
				buf.Reset()
				if err := EncodeResponse(&buf, &Exchange2016, "GetItemResponse", c.body); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(buf.Len()))
		})
	}
}

// BenchmarkAppendEscaped escapes an HTML body of about 2.5 KB, as generated messages have.
func BenchmarkAppendEscaped(b *testing.B) {
	body := `<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head><body><p>Hi Alex,</p>` +
		strings.Repeat(`<p>Please review the budget forecast before Thursday. We will align on the rollout schedule and share the numbers with the partner team. </p>`, 17) +
		`<p>Best regards,<br>Adele Vance</p></body></html>`
	buf := make([]byte, 0, 4*len(body))
	b.SetBytes(int64(len(body)))
	for range b.N {
		buf = appendEscaped(buf[:0], body)
	}
}
