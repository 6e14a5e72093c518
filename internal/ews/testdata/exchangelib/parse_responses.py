# Parses this package's golden responses (../) with exchangelib's own response parsing
# (EWSService.parse), and checks what it makes of them. Exits 1 on any mismatch.
# Run by TestExchangelibParsesGoldenResponses when exchangelib is installed.
import os
import sys

from exchangelib import IMPERSONATION, Account, Configuration, Credentials, Version
from exchangelib.errors import (
    ErrorExceededSubscriptionCount,
    ErrorInvalidIdMalformed,
    ErrorInvalidPullSubscriptionId,
    ErrorMailRecipientNotFound,
    ErrorNameResolutionNoResults,
    ErrorSubscriptionNotFound,
)
from exchangelib.properties import TimeZone
from exchangelib.protocol import Protocol
from exchangelib.services import (
    ConvertId,
    ExpandDL,
    GetEvents,
    GetRoomLists,
    GetRooms,
    GetServerTimeZones,
    GetStreamingEvents,
    GetUserAvailability,
    ResolveNames,
    SubscribeToPull,
    SubscribeToStreaming,
)
from exchangelib.version import EXCHANGE_2016

golden = sys.argv[1]
cfg = Configuration(
    service_endpoint="https://ex.example.com/EWS/Exchange.asmx",
    credentials=Credentials("u", "p"),
    version=Version(build=EXCHANGE_2016),
    auth_type="basic",
)
protocol = Protocol(config=cfg)
account = Account("alice@example.com", config=cfg, autodiscover=False, access_type=IMPERSONATION)
failed = False


def parse(svc, *files, **attrs):
    for k, v in attrs.items():
        setattr(svc, k, v)
    data = b"".join(open(os.path.join(golden, f), "rb").read() for f in files)
    try:
        return list(svc.parse(data))
    except Exception as e:  # a service-level error is raised, not returned
        return e


def check(name, ok):
    global failed
    print(("ok   " if ok else "FAIL ") + name)
    failed = failed or not ok


r = parse(ResolveNames(protocol=protocol), "ResolveNames.response.xml")
check("ResolveNames", [getattr(x, "email_address", None) for x in r[:3]] == ["alice@contoso.com", "alina@contoso.com", "bob@contoso.com"]
      and isinstance(r[3], ErrorNameResolutionNoResults))
r = parse(ResolveNames(protocol=protocol), "ResolveNames.response.xml", return_full_contact_data=True)
check("ResolveNames with contact data", r[2][1] is not None and r[2][1].display_name == "Bob Builder" and r[2][1].surname == "Builder")
r = parse(GetRoomLists(protocol=protocol), "GetRoomLists.response.xml")
check("GetRoomLists", [x.email_address for x in r] == ["b1rooms@contoso.com", "b2rooms@contoso.com"])
r = parse(GetRooms(protocol=protocol), "GetRooms.response.xml")
check("GetRooms", [x.email_address for x in r] == ["room101@contoso.com", "room102@contoso.com"])
check("GetRooms error", isinstance(parse(GetRooms(protocol=protocol), "GetRooms-Error.response.xml"), ErrorNameResolutionNoResults))
r = parse(GetUserAvailability(protocol=protocol), "GetUserAvailability.response.xml")
check("GetUserAvailability", len(r) == 3 and len(r[0].calendar_events) == 2 and r[0].calendar_events[0].details.subject == "Standup"
      and len(r[0].working_hours) == 1 and r[1].merged.startswith("0" * 18 + "2") and isinstance(r[2], ErrorMailRecipientNotFound))
r = parse(ExpandDL(protocol=protocol), "ExpandDL.response.xml")
check("ExpandDL", [x.mailbox_type for x in r] == ["Mailbox", "Mailbox", "PublicDL"])
check("ExpandDL error", isinstance(parse(ExpandDL(protocol=protocol), "ExpandDL-Error.response.xml"), ErrorNameResolutionNoResults))
r = parse(ConvertId(protocol=protocol), "ConvertId.response.xml")
check("ConvertId", r[0].id == "AAMkAGI=" and r[0].format == "EwsId" and isinstance(r[2], ErrorInvalidIdMalformed))
check("Subscribe pull", parse(SubscribeToPull(account=account), "Subscribe-Pull.response.xml") == [("FwBkYi1leGNoMDE=", "AQAAAA==")])
check("Subscribe streaming", parse(SubscribeToStreaming(account=account), "Subscribe-Streaming.response.xml") == ["JgBkYi1leGNoMDE="])
check("Subscribe error", isinstance(parse(SubscribeToPull(account=account), "Subscribe-Error.response.xml"), ErrorExceededSubscriptionCount))
r = parse(GetEvents(account=account), "GetEvents.response.xml")
check("GetEvents", r[0].more_events is True and [type(e).__name__ for e in r[0].events] == [
    "NewMailEvent", "CreatedEvent", "ModifiedEvent", "MovedEvent", "CopiedEvent", "DeletedEvent", "FreeBusyChangedEvent"]
      and r[0].events[2].unread_count == 7 and r[0].events[3].old_item_id.id == "AAMkAGI=")
r = parse(GetEvents(account=account), "GetEvents-Status.response.xml")
check("GetEvents status", [type(e).__name__ for e in r[0].events] == ["StatusEvent"])
check("GetEvents error", isinstance(parse(GetEvents(account=account), "GetEvents-Error.response.xml"), ErrorInvalidPullSubscriptionId))
svc = GetStreamingEvents(account=account)
r = parse(svc, "GetStreamingEvents.response.xml", "GetStreamingEvents-KeepAlive.response.xml", "GetStreamingEvents-Closed.response.xml")
check("GetStreamingEvents", [n.subscription_id for n in r] == ["JgBkYi1leGNoMDE=", "JgBkYi1leGNoMDI="] and svc.connection_status == "Closed")
e = parse(GetStreamingEvents(account=account), "GetStreamingEvents-Error.response.xml")
check("GetStreamingEvents error", isinstance(e, ErrorSubscriptionNotFound) and "JgBkYi1leGNoMDI=" in str(e))
r = parse(GetServerTimeZones(protocol=protocol), "GetServerTimeZones.response.xml")
check("GetServerTimeZones", [z.id for z in r] == ["UTC", "W. Europe Standard Time", "Eastern Standard Time"])
rules = [TimeZone.from_server_timezone(tz_definition=z, for_year=y) for z, y in ((r[0], 2024), (r[1], 2024), (r[2], 2006), (r[2], 2024))]
check("GetServerTimeZones rules", [t.bias for t in rules] == [0, -60, 300, 300]
      and (rules[1].daylight_time.bias, rules[1].daylight_time.iso_month, rules[1].standard_time.iso_month) == (-60, 3, 10)
      and (rules[2].daylight_time.iso_month, rules[3].daylight_time.iso_month) == (4, 3))
r = parse(GetServerTimeZones(protocol=protocol), "GetServerTimeZones-Names.response.xml")
check("GetServerTimeZones names", [(z.id, z.periods) for z in r][1] == ("W. Europe Standard Time", None)
      and r[2].name == "(UTC-05:00) Eastern Time (US & Canada)")
check("GetServerTimeZones empty", parse(GetServerTimeZones(protocol=protocol), "GetServerTimeZones-Empty.response.xml") == [])
sys.exit(1 if failed else 0)
