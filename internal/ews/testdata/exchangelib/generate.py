# Writes the requests Debian's exchangelib builds, for decoding tests.
import datetime, os, sys
from exchangelib import Configuration, Credentials, Version, Account, IMPERSONATION
from exchangelib.version import EXCHANGE_2016
from exchangelib.protocol import Protocol
from exchangelib.services import *
from exchangelib.properties import *
from exchangelib.ewsdatetime import EWSTimeZone, EWSDateTime
out = sys.argv[1]
cfg = Configuration(service_endpoint="https://ex.example.com/EWS/Exchange.asmx", credentials=Credentials("u","p"), version=Version(build=EXCHANGE_2016), auth_type="basic")
p = Protocol(config=cfg)
a = Account("alice@example.com", config=cfg, autodiscover=False, access_type=IMPERSONATION)
def save(name, svc, payload):
    env = svc.wrap(content=payload, api_version="Exchange2016")
    open(os.path.join(out, name + ".request.xml"), "wb").write(env + b"\n")
s = ResolveNames(protocol=p)
save("ResolveNames", s, s.get_payload(unresolved_entries=["alice", "smtp:bob@example.com"], parent_folders=None, return_full_contact_data=True, search_scope="ActiveDirectory", contact_data_shape="AllProperties"))
s = ConvertId(protocol=p)
save("ConvertId", s, s.get_payload(items=[AlternateId(id="DUMMY", format="EwsId", mailbox="DUMMY")], destination_format="EntryId"))
s = GetRooms(protocol=p)
save("GetRooms", s, s.get_payload(room_list=RoomList(email_address="b1rooms@example.com")))
s = GetRoomLists(protocol=p)
save("GetRoomLists", s, s.get_payload())
s = ExpandDL(protocol=p)
save("ExpandDL", s, s.get_payload(distribution_list=DLMailbox(email_address="team@example.com", mailbox_type="PublicDL")))
tz = EWSTimeZone("Europe/Copenhagen")
s = GetUserAvailability(protocol=p)
tzx = TimeZone(bias=-60, standard_time=StandardTime(bias=0, time=datetime.time(3, 0), occurrence=5, iso_month=10, weekday=7), daylight_time=DaylightTime(bias=-60, time=datetime.time(2, 0), occurrence=5, iso_month=3, weekday=7))
save("GetUserAvailability", s, s.get_payload(mailbox_data=[MailboxData(email=Email(email_address="room1@example.com"), attendee_type="Room", exclude_conflicts=False), MailboxData(email=Email(email_address="bob@example.com"), attendee_type="Required", exclude_conflicts=False)], timezone=tzx, free_busy_view_options=FreeBusyViewOptions(time_window=TimeWindow(start=EWSDateTime(2024, 5, 1, tzinfo=tz), end=EWSDateTime(2024, 5, 2, tzinfo=tz)), merged_free_busy_interval=30, requested_view="DetailedMerged")))
inbox = DistinguishedFolderId(id="inbox", mailbox=Mailbox(email_address="alice@example.com"))
s = SubscribeToPull(account=a)
save("Subscribe-Pull", s, s.get_payload(folders=[inbox], event_types=["CreatedEvent", "NewMailEvent"], watermark="AQAAAA==", timeout=10))
s = SubscribeToPush(account=a)
save("Subscribe-Push", s, s.get_payload(folders=[inbox], event_types=["CreatedEvent"], watermark="AQAAAA==", status_frequency=1, url="https://listener.example.com/push"))
s = SubscribeToStreaming(account=a)
save("Subscribe-Streaming", s, s.get_payload(folders=[], event_types=["CreatedEvent", "DeletedEvent"]))
s = GetEvents(account=a)
save("GetEvents", s, s.get_payload(subscription_id="FwBkYi1leGNoMDE=", watermark="AQAAAA=="))
s = GetStreamingEvents(account=a)
save("GetStreamingEvents", s, s.get_payload(subscription_ids=["JgBkYi1leGNoMDE=", "JgBkYi1leGNoMDI="], connection_timeout=30))
s = Unsubscribe(account=a)
save("Unsubscribe", s, s.get_payload(subscription_id="FwBkYi1leGNoMDE="))
s = GetServerTimeZones(protocol=p)
save("GetServerTimeZones", s, s.get_payload(timezones=[EWSTimeZone("UTC")], return_full_timezone_data=True))
