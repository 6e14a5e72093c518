package exchangesim

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"net/url"
	"strings"

	"github.com/mailbridge/mailbridge/internal/ews"
	"github.com/mailbridge/mailbridge/internal/ews/ewsserver"
)

// ConvertId implements ewsserver.ConvertIdBackend: one message per source id, in request
// order. Like Exchange, it checks that each Mailbox is a well-formed SMTP address (so the
// DUMMY probe exchangelib sends first gets ErrorInvalidSmtpAddress, with the version
// header) but not that the mailbox exists.
//
// Every format encodes the same (mailbox, folder, item) triple as the simulator's EwsId:
//   - EntryId: a MAPI PR_ENTRYID, base64 — 4 flag bytes, the store's provider UID (the
//     mailbox GUID), the type (0x0001 folder, 0x0007 message), then the folder's (and
//     the message's) global counter: the mailbox GUID as replica GUID and a 6-byte
//     counter, padded to 8;
//   - HexEntryId: the same bytes in upper-case hex;
//   - StoreId: a length byte, the entry id and an object type byte (1 folder, 9 item),
//     base64; OwaId: the StoreId, URL-escaped;
//   - EwsLegacyId: a 2-byte version, the mailbox's SMTP address, then the entry id, each
//     with a 2-byte little-endian length, base64.
func (s *Simulator) ConvertId(ctx context.Context, c *ewsserver.Call, req *ews.ConvertIdRequest) (*ews.ConvertIdResponse, error) {
	if err := checkAttrEnum("DestinationFormat", "IdFormatType", req.DestinationFormat, true, idFormats...); err != nil {
		return nil, err
	}
	for _, src := range req.SourceIds.Ids {
		if err := checkAttrEnum("Format", "IdFormatType", src.Format, true, idFormats...); err != nil {
			return nil, err
		}
	}
	resp := &ews.ConvertIdResponse{}
	for _, src := range req.SourceIds.Ids {
		msg := ews.ConvertIdResponseMessage{}
		out, err := convertAlternateID(src, req.DestinationFormat)
		if err != nil {
			msg.ResponseMessage = ews.FailureFrom(err)
		} else {
			msg.ResponseMessage = ews.Success()
			msg.AlternateId = out
		}
		resp.ResponseMessages = append(resp.ResponseMessages, msg)
	}
	return resp, nil
}

var idFormats = []string{ews.IdFormatEwsLegacyId, ews.IdFormatEwsId, ews.IdFormatEntryId, ews.IdFormatHexEntryId,
	ews.IdFormatStoreId, ews.IdFormatOwaId}

func convertAlternateID(src ews.AlternateId, dest string) (*ews.AlternateId, error) {
	if src.Kind() != ews.AlternateIdKind {
		// The simulator has no public folders: no public folder id is one of its own.
		return nil, errIDMalformed()
	}
	smtp := normAddr(src.Mailbox)
	if !validAddr(smtp) {
		return nil, updateErr(ews.ErrorInvalidSmtpAddress, "The SMTP address format is invalid.")
	}
	if src.Id == "" {
		return nil, updateErr(ews.ErrorInvalidIdEmpty, "Id must be non-empty.")
	}
	o, ok := decodeAlternateID(src.Format, src.Id)
	if !ok {
		return nil, errIDMalformed()
	}
	id, ok := encodeAlternateID(dest, o, smtp)
	if !ok {
		return nil, errIDMalformed()
	}
	out := src.Converted(dest)
	out.Id = id
	return out, nil
}

// MAPI entry id types.
const (
	entryIDFolder  uint16 = 0x0001 // eitLTPrivateFolder
	entryIDMessage uint16 = 0x0007 // eitLTPrivateMessage
	maxGlobalCount        = 1 << 48
)

// storeObjectType is the trailing byte of a StoreId.
func storeObjectType(o objectID) byte {
	if o.kind == idKindFolder {
		return 0x01
	}
	return 0x09
}

func appendGlobalID(b []byte, guid [16]byte, n uint64) []byte {
	b = append(b, guid[:]...)
	var c [8]byte
	binary.BigEndian.PutUint64(c[:], n)
	return append(append(b, c[2:]...), 0, 0)
}

func entryID(o objectID) ([]byte, bool) {
	b := make([]byte, 4, 70)
	b = append(b, o.guid[:]...)
	if o.kind == idKindFolder {
		b = binary.LittleEndian.AppendUint16(b, entryIDFolder)
		return appendGlobalID(b, o.guid, uint64(o.folder)), true
	}
	if o.inst >= maxGlobalCount {
		return nil, false
	}
	b = binary.LittleEndian.AppendUint16(b, entryIDMessage)
	b = appendGlobalID(b, o.guid, uint64(o.folder))
	return appendGlobalID(b, o.guid, o.inst), true
}

func parseEntryID(b []byte) (objectID, bool) {
	var o objectID
	if (len(b) != 46 && len(b) != 70) || !bytes.Equal(b[:4], []byte{0, 0, 0, 0}) {
		return o, false
	}
	copy(o.guid[:], b[4:20])
	typ := binary.LittleEndian.Uint16(b[20:22])
	globalID := func(g []byte) (uint64, bool) {
		if !bytes.Equal(g[:16], o.guid[:]) || g[22] != 0 || g[23] != 0 {
			return 0, false
		}
		var c [8]byte
		copy(c[2:], g[16:22])
		return binary.BigEndian.Uint64(c[:]), true
	}
	folder, ok := globalID(b[22:46])
	if !ok || folder == 0 || folder > 0xFFFFFFFF {
		return o, false
	}
	o.folder = uint32(folder)
	switch {
	case typ == entryIDFolder && len(b) == 46:
		o.kind = idKindFolder
	case typ == entryIDMessage && len(b) == 70:
		o.kind = idKindItem
		if o.inst, ok = globalID(b[46:70]); !ok || o.inst == 0 {
			return o, false
		}
	default:
		return o, false
	}
	return o, true
}

func encodeAlternateID(format string, o objectID, smtp string) (string, bool) {
	if format == ews.IdFormatEwsId {
		return o.String(), true
	}
	eid, ok := entryID(o)
	if !ok {
		return "", false
	}
	switch format {
	case ews.IdFormatEntryId:
		return base64.StdEncoding.EncodeToString(eid), true
	case ews.IdFormatHexEntryId:
		return strings.ToUpper(hex.EncodeToString(eid)), true
	case ews.IdFormatStoreId, ews.IdFormatOwaId:
		b := append(append([]byte{byte(len(eid))}, eid...), storeObjectType(o))
		id := base64.StdEncoding.EncodeToString(b)
		if format == ews.IdFormatOwaId {
			id = url.QueryEscape(id)
		}
		return id, true
	case ews.IdFormatEwsLegacyId:
		b := binary.LittleEndian.AppendUint16(nil, 1)
		b = binary.LittleEndian.AppendUint16(b, uint16(len(smtp)))
		b = append(b, smtp...)
		b = binary.LittleEndian.AppendUint16(b, uint16(len(eid)))
		return base64.StdEncoding.EncodeToString(append(b, eid...)), true
	}
	return "", false
}

func decodeAlternateID(format, id string) (objectID, bool) {
	var fail objectID
	switch format {
	case ews.IdFormatEwsId:
		return parseID(id)
	case ews.IdFormatEntryId:
		b, err := base64.StdEncoding.DecodeString(id)
		if err != nil {
			return fail, false
		}
		return parseEntryID(b)
	case ews.IdFormatHexEntryId:
		b, err := hex.DecodeString(id)
		if err != nil {
			return fail, false
		}
		return parseEntryID(b)
	case ews.IdFormatOwaId, ews.IdFormatStoreId:
		if format == ews.IdFormatOwaId {
			var err error
			if id, err = url.QueryUnescape(id); err != nil {
				return fail, false
			}
		}
		b, err := base64.StdEncoding.DecodeString(id)
		if err != nil || len(b) < 2 || int(b[0]) != len(b)-2 {
			return fail, false
		}
		o, ok := parseEntryID(b[1 : len(b)-1])
		if !ok || b[len(b)-1] != storeObjectType(o) {
			return fail, false
		}
		return o, true
	case ews.IdFormatEwsLegacyId:
		b, err := base64.StdEncoding.DecodeString(id)
		if err != nil || len(b) < 4 || binary.LittleEndian.Uint16(b) != 1 {
			return fail, false
		}
		n := int(binary.LittleEndian.Uint16(b[2:]))
		b = b[4:]
		if len(b) < n+2 || !validAddr(string(b[:n])) {
			return fail, false
		}
		b = b[n:]
		if int(binary.LittleEndian.Uint16(b)) != len(b)-2 {
			return fail, false
		}
		return parseEntryID(b[2:])
	}
	return fail, false
}
