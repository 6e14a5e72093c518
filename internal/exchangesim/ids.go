package exchangesim

import (
	"encoding/base64"
	"encoding/binary"

	"github.com/mailbridge/mailbridge/internal/ews"
)

// Ids are opaque to clients, like Exchange's, but carry what the simulator needs to find
// the object again: a 4-byte header (so they start "AAMkA", as Exchange's do), a kind
// byte, the 16-byte mailbox GUID, the folder number and, for items, the instance number
// in that folder. An item that moves gets a new instance number in its new folder, hence a
// new id, as in Exchange.
const (
	idKindItem   byte = 'I'
	idKindFolder byte = 'F'
	idLen             = 4 + 1 + 16 + 4 + 8
)

var idHeader = [4]byte{0x00, 0x03, 0x24, 0x00}

// objectID is a decoded item or folder id.
type objectID struct {
	kind   byte
	guid   [16]byte
	folder uint32
	inst   uint64
}

func (o objectID) String() string {
	var b [idLen]byte
	copy(b[:4], idHeader[:])
	b[4] = o.kind
	copy(b[5:21], o.guid[:])
	binary.BigEndian.PutUint32(b[21:25], o.folder)
	binary.BigEndian.PutUint64(b[25:33], o.inst)
	return base64.StdEncoding.EncodeToString(b[:])
}

// parseID decodes an id; ok is false when s is not an id this simulator could have made.
func parseID(s string) (o objectID, ok bool) {
	if base64.StdEncoding.DecodedLen(len(s)) < idLen || len(s) > 2*idLen {
		return o, false
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != idLen || [4]byte(b[:4]) != idHeader {
		return o, false
	}
	o.kind = b[4]
	if o.kind != idKindItem && o.kind != idKindFolder {
		return o, false
	}
	copy(o.guid[:], b[5:21])
	o.folder = binary.BigEndian.Uint32(b[21:25])
	o.inst = binary.BigEndian.Uint64(b[25:33])
	if o.folder == 0 || (o.kind == idKindItem) != (o.inst != 0) {
		return o, false
	}
	return o, true
}

// changeKeyHeader makes change keys start "CQAAA", as Exchange's do.
var changeKeyHeader = [4]byte{0x09, 0x00, 0x00, 0x00}

// changeKey encodes a change number as a ChangeKey.
func changeKey(cn uint64) string {
	var b [12]byte
	copy(b[:4], changeKeyHeader[:])
	binary.BigEndian.PutUint64(b[4:], cn)
	return base64.StdEncoding.EncodeToString(b[:])
}

// parseChangeKey decodes a ChangeKey made by changeKey.
func parseChangeKey(s string) (uint64, bool) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != 12 || [4]byte(b[:4]) != changeKeyHeader {
		return 0, false
	}
	return binary.BigEndian.Uint64(b[4:]), true
}

// errIDMalformed is Exchange's answer to an id it cannot parse.
func errIDMalformed() error {
	return &ews.ResponseError{Code: ews.ErrorInvalidIdMalformed, Message: "Id is malformed."}
}

func errItemNotFound() error {
	return &ews.ResponseError{Code: ews.ErrorItemNotFound, Message: "The specified object was not found in the store."}
}

func errFolderNotFound() error {
	return &ews.ResponseError{Code: ews.ErrorFolderNotFound, Message: "The specified folder could not be found in the store."}
}
