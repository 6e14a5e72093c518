package ews

import (
	"encoding/xml"
	"strings"
)

// Id formats (IdFormatType), for ConvertId.
const (
	IdFormatEwsLegacyId = "EwsLegacyId"
	IdFormatEwsId       = "EwsId"
	IdFormatEntryId     = "EntryId"
	IdFormatHexEntryId  = "HexEntryId"
	IdFormatStoreId     = "StoreId"
	IdFormatOwaId       = "OwaId"
)

// Kinds of alternate ids: the element names in a request's m:SourceIds and, with "Type"
// appended, the xsi:type of a response's m:AlternateId.
const (
	AlternateIdKind                 = "AlternateId"
	AlternatePublicFolderIdKind     = "AlternatePublicFolderId"
	AlternatePublicFolderItemIdKind = "AlternatePublicFolderItemId"
)

// Response codes of ConvertId.
const (
	ErrorInvalidIdEmpty = "ErrorInvalidIdEmpty"
	ErrorInvalidMailbox = "ErrorInvalidMailbox"
)

// ConvertIdRequest is the m:ConvertId operation: translate item and folder ids into
// DestinationFormat. exchangelib's first call to an unknown server is a ConvertId of
// Id="DUMMY" Mailbox="DUMMY" (Format EwsId, DestinationFormat EntryId), only to read the
// ServerVersionInfo header; an error message answers it well enough.
type ConvertIdRequest struct {
	DestinationFormat string       `xml:"DestinationFormat,attr"`
	SourceIds         AlternateIds `xml:"m:SourceIds"`
}

// AlternateIds is NonEmptyArrayOfAlternateIdsType: ids of mixed kinds, in request order.
type AlternateIds struct {
	Ids []AlternateId `xml:",any"`
}

// AlternateId is an id in a given Format (AlternateIdBaseType and its subtypes). In a
// request, XMLName names the kind: t:AlternateId (Id, Mailbox, IsArchive),
// t:AlternatePublicFolderId (FolderId) or t:AlternatePublicFolderItemId (FolderId,
// ItemId). In a response the element is always m:AlternateId and Type, the xsi:type
// attribute, names the kind ("t:AlternateIdType", …). Use NewAlternateId and Converted
// to build them, and Kind to read either form.
type AlternateId struct {
	XMLName   xml.Name
	Type      string `xml:"xsi:type,attr,omitempty"`
	Format    string `xml:"Format,attr"`
	Id        string `xml:"Id,attr,omitempty"`
	Mailbox   string `xml:"Mailbox,attr,omitempty"`
	IsArchive *bool  `xml:"IsArchive,attr"`
	FolderId  string `xml:"FolderId,attr,omitempty"`
	ItemId    string `xml:"ItemId,attr,omitempty"`
}

// NewAlternateId returns a mailbox id for a request's SourceIds.
func NewAlternateId(format, id, mailbox string) AlternateId {
	return AlternateId{XMLName: xml.Name{Local: "t:" + AlternateIdKind}, Format: format, Id: id, Mailbox: mailbox}
}

// Kind returns AlternateIdKind, AlternatePublicFolderIdKind or
// AlternatePublicFolderItemIdKind, from the element name of a request id or from the
// xsi:type of a response id (whatever prefix the sender gave it).
func (a *AlternateId) Kind() string {
	if a.Type != "" {
		return strings.TrimSuffix(localPart(a.Type), "Type")
	}
	return localPart(a.XMLName.Local)
}

// Converted returns the response form of the id (m:AlternateId with its xsi:type), for
// the same kind as a, in format with the converted values set by the caller.
func (a AlternateId) Converted(format string) *AlternateId {
	kind := a.Kind()
	a.XMLName = xml.Name{Local: "m:AlternateId"}
	a.Type = "t:" + kind + "Type"
	a.Format = format
	return &a
}

// ConvertIdResponse is the m:ConvertIdResponse element: one message per source id, in
// request order.
type ConvertIdResponse struct {
	ResponseMessages []ConvertIdResponseMessage `xml:"m:ResponseMessages>m:ConvertIdResponseMessage"`
}

// ConvertIdResponseMessage carries one converted id, or an error (then no AlternateId).
type ConvertIdResponseMessage struct {
	ResponseMessage
	AlternateId *AlternateId `xml:"m:AlternateId"`
}
