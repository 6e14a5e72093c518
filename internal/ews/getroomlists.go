package ews

// GetRoomListsRequest is the m:GetRoomLists operation: list the organization's room
// lists. It has no content.
type GetRoomListsRequest struct{}

// GetRoomListsResponse is the m:GetRoomListsResponse element. Unlike most responses it
// has no ResponseMessages: the root itself carries ResponseClass and ResponseCode.
type GetRoomListsResponse struct {
	ResponseMessage
	RoomLists *EmailAddressList `xml:"m:RoomLists"`
}

// EmailAddressList is ArrayOfEmailAddressesType: a list of t:Address, each a mailbox
// (for room lists: MailboxType PublicDL).
type EmailAddressList struct {
	Addresses []EmailAddress `xml:"t:Address"`
}
