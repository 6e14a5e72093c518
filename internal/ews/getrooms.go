package ews

// GetRoomsRequest is the m:GetRooms operation: list the rooms of one room list.
type GetRoomsRequest struct {
	RoomList EmailAddress `xml:"m:RoomList"`
}

// GetRoomsResponse is the m:GetRoomsResponse element. Unlike most responses it has no
// ResponseMessages: the root itself carries ResponseClass and ResponseCode.
type GetRoomsResponse struct {
	ResponseMessage
	Rooms *Rooms `xml:"m:Rooms"`
}

// Rooms is ArrayOfRoomsType.
type Rooms struct {
	Rooms []Room `xml:"t:Room"`
}

// Room is one room; Id is its mailbox (MailboxType Mailbox).
type Room struct {
	Id *EmailAddress `xml:"t:Id"`
}
