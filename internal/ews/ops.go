package ews

// Operation names: the local names of the request elements in the SOAP Body. The response
// element is the name plus "Response" (GetUserAvailabilityRequest answers with
// GetUserAvailabilityResponse).
const (
	OpConvertId           = "ConvertId"
	OpCreateItem          = "CreateItem"
	OpDeleteItem          = "DeleteItem"
	OpExpandDL            = "ExpandDL"
	OpFindFolder          = "FindFolder"
	OpFindItem            = "FindItem"
	OpGetEvents           = "GetEvents"
	OpGetFolder           = "GetFolder"
	OpGetItem             = "GetItem"
	OpGetRoomLists        = "GetRoomLists"
	OpGetRooms            = "GetRooms"
	OpGetServerTimeZones  = "GetServerTimeZones"
	OpGetStreamingEvents  = "GetStreamingEvents"
	OpGetUserAvailability = "GetUserAvailabilityRequest"
	OpResolveNames        = "ResolveNames"
	OpSendItem            = "SendItem"
	OpSubscribe           = "Subscribe"
	OpSyncFolderHierarchy = "SyncFolderHierarchy"
	OpSyncFolderItems     = "SyncFolderItems"
	OpUnsubscribe         = "Unsubscribe"
	OpUpdateItem          = "UpdateItem"
)

// ResponseName returns the response element name of an operation.
func ResponseName(op string) string {
	if op == OpGetUserAvailability {
		return "GetUserAvailabilityResponse"
	}
	return op + "Response"
}
