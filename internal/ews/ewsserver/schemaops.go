package ewsserver

// schemaOperations are the request elements Exchange 2016's Services.wsdl declares (the
// SOAP Body child of every operation's input message, V2017_07_11; the newer schema in
// third_party/ews-schema adds only UpdateExtensionUsage, an Exchange Online operation).
// Exchange validates a request against its schema before dispatching it,
// so a Body child outside this set is an ErrorSchemaValidation fault; one inside it that
// this server does not implement is a well-formed request it cannot serve
// (ErrorInvalidRequest). TestSchemaOperations keeps the list in step with the WSDL in
// third_party/ews-schema.
var schemaOperations = map[string]struct{}{
	"AddDelegate": {}, "AddDistributionGroupToImList": {}, "AddImContactToGroup": {},
	"AddImGroup": {}, "AddNewImContactToGroup": {}, "AddNewTelUriContactToGroup": {},
	"AddTag": {}, "ApplyConversationAction": {}, "ArchiveItem": {}, "ConvertId": {},
	"CopyFolder": {}, "CopyItem": {}, "CreateAttachment": {}, "CreateFolder": {},
	"CreateFolderPath": {}, "CreateItem": {}, "CreateManagedFolder": {},
	"CreateMeetingInstanceRequest": {}, "CreateMeetingSpace": {},
	"CreateOrUpdateFocusedOtherOverride": {}, "CreateUserConfiguration": {},
	"DeleteAttachment": {}, "DeleteFocusedOtherOverride": {}, "DeleteFolder": {},
	"DeleteItem": {}, "DeleteMeetingInstanceRequest": {}, "DeleteMeetingSpace": {},
	"DeleteSearchSuggestion": {}, "DeleteUserConfiguration": {}, "DisableApp": {},
	"DisconnectPhoneCall": {}, "EmptyFolder": {}, "EndSearchSession": {}, "ExecuteSearch": {},
	"ExpandDL": {}, "ExportItems": {}, "FindAvailableMeetingTimes": {}, "FindConversation": {},
	"FindFolder": {}, "FindItem": {}, "FindMeetingSpaceByJoinUrl": {},
	"FindMeetingTimeCandidates": {}, "FindMessageTrackingReport": {}, "FindPeople": {},
	"FindTags": {}, "GetAppManifests": {}, "GetAppMarketplaceUrl": {}, "GetAttachment": {},
	"GetClientAccessToken": {}, "GetConversationItems": {}, "GetDelegate": {},
	"GetDiscoverySearchConfiguration": {}, "GetEvents": {}, "GetFocusedOtherOverrides": {},
	"GetFolder": {}, "GetHoldOnMailboxes": {}, "GetImItemList": {}, "GetImItems": {},
	"GetInboxRules": {}, "GetItem": {}, "GetLastPrivateCatalogUpdate": {}, "GetMailTips": {},
	"GetMeetingInstanceRequest": {}, "GetMeetingSpace": {}, "GetMessageTrackingReport": {},
	"GetNonIndexableItemDetails": {}, "GetNonIndexableItemStatistics": {},
	"GetPasswordExpirationDate": {}, "GetPersona": {}, "GetPhoneCallInformation": {},
	"GetPrivateCatalogAddIns": {}, "GetRoomLists": {}, "GetRooms": {},
	"GetSearchSuggestions": {}, "GetSearchableMailboxes": {}, "GetServerTimeZones": {},
	"GetServiceConfiguration": {}, "GetSharingFolder": {}, "GetSharingMetadata": {},
	"GetSpecificUserConfiguration": {}, "GetStreamingEvents": {},
	"GetUserAvailabilityRequest": {}, "GetUserConfiguration": {},
	"GetUserOofSettingsRequest": {}, "GetUserPhoto": {}, "GetUserRetentionPolicyTags": {},
	"HideTag": {}, "InstallApp": {}, "MarkAllItemsAsRead": {}, "MarkAsJunk": {},
	"MoveFolder": {}, "MoveItem": {}, "PlayOnPhone": {}, "RefreshSharingFolder": {},
	"RegisterConsent": {}, "RemoveContactFromImList": {}, "RemoveDelegate": {},
	"RemoveDistributionGroupFromImList": {}, "RemoveImContactFromGroup": {}, "RemoveImGroup": {},
	"ReportMessage": {}, "ResolveNames": {}, "SearchMailboxes": {}, "SendItem": {},
	"SetHoldOnMailboxes": {}, "SetImGroup": {}, "SetImListMigrationCompleted": {},
	"SetTeamMailbox": {}, "SetUserOofSettingsRequest": {}, "SetUserPhoto": {},
	"StartSearchSession": {}, "Subscribe": {}, "SyncFolderHierarchy": {}, "SyncFolderItems": {},
	"UninstallApp": {}, "UnpinTeamMailbox": {}, "Unsubscribe": {}, "UpdateDelegate": {},
	"UpdateFolder": {}, "UpdateInboxRules": {}, "UpdateItem": {},
	"UpdateItemInRecoverableItems": {}, "UpdateMeetingInstanceRequest": {},
	"UpdateMeetingSpace": {}, "UpdateUserConfiguration": {}, "UploadItems": {},
}
