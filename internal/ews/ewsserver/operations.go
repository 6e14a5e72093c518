package ewsserver

import "github.com/mailbridge/mailbridge/internal/ews"

// operations returns the dispatch table for every operation b implements. Each operation
// has its own …Backend interface, declared in the file named after it.
func operations(b Backend) map[string]operation {
	ops := make(map[string]operation)
	if x, ok := b.(GetFolderBackend); ok {
		ops[ews.OpGetFolder] = unary(x.GetFolder)
	}
	if x, ok := b.(SyncFolderHierarchyBackend); ok {
		ops[ews.OpSyncFolderHierarchy] = unary(x.SyncFolderHierarchy)
	}
	if x, ok := b.(SyncFolderItemsBackend); ok {
		ops[ews.OpSyncFolderItems] = unary(x.SyncFolderItems)
	}
	if x, ok := b.(GetItemBackend); ok {
		ops[ews.OpGetItem] = unary(x.GetItem)
	}
	if x, ok := b.(FindItemBackend); ok {
		ops[ews.OpFindItem] = unary(x.FindItem)
	}
	if x, ok := b.(FindFolderBackend); ok {
		ops[ews.OpFindFolder] = unary(x.FindFolder)
	}
	if x, ok := b.(CreateItemBackend); ok {
		ops[ews.OpCreateItem] = unary(x.CreateItem)
	}
	if x, ok := b.(UpdateItemBackend); ok {
		ops[ews.OpUpdateItem] = unary(x.UpdateItem)
	}
	if x, ok := b.(DeleteItemBackend); ok {
		ops[ews.OpDeleteItem] = unary(x.DeleteItem)
	}
	if x, ok := b.(SendItemBackend); ok {
		ops[ews.OpSendItem] = unary(x.SendItem)
	}
	if x, ok := b.(ResolveNamesBackend); ok {
		ops[ews.OpResolveNames] = unary(x.ResolveNames)
	}
	if x, ok := b.(GetRoomListsBackend); ok {
		ops[ews.OpGetRoomLists] = unary(x.GetRoomLists)
	}
	if x, ok := b.(GetRoomsBackend); ok {
		ops[ews.OpGetRooms] = unary(x.GetRooms)
	}
	if x, ok := b.(GetUserAvailabilityBackend); ok {
		ops[ews.OpGetUserAvailability] = unary(x.GetUserAvailability)
	}
	if x, ok := b.(GetServerTimeZonesBackend); ok {
		ops[ews.OpGetServerTimeZones] = unary(x.GetServerTimeZones)
	}
	if x, ok := b.(ExpandDLBackend); ok {
		ops[ews.OpExpandDL] = unary(x.ExpandDL)
	}
	if x, ok := b.(ConvertIdBackend); ok {
		ops[ews.OpConvertId] = unary(x.ConvertId)
	}
	if x, ok := b.(SubscribeBackend); ok {
		ops[ews.OpSubscribe] = unary(x.Subscribe)
	}
	if x, ok := b.(GetEventsBackend); ok {
		ops[ews.OpGetEvents] = unary(x.GetEvents)
	}
	if x, ok := b.(GetStreamingEventsBackend); ok {
		ops[ews.OpGetStreamingEvents] = stream(x.GetStreamingEvents)
	}
	if x, ok := b.(UnsubscribeBackend); ok {
		ops[ews.OpUnsubscribe] = unary(x.Unsubscribe)
	}
	return ops
}
