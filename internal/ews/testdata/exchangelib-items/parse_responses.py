# Parses this package's item and folder golden responses (../) the way exchangelib's own
# services do (the same calls its call() paths make), and checks what it makes of them.
# Exits 1 on any mismatch. Run by TestExchangelibParsesItemResponses when exchangelib is
# installed.
import os
import sys

from exchangelib import IMPERSONATION, Account, Configuration, Credentials, Version
from exchangelib.errors import (ErrorAccessDenied, ErrorFolderNotFound, ErrorInvalidItemForOperationSendItem, ErrorInvalidOperation,
                                ErrorIrresolvableConflict, ErrorItemNotFound, ErrorStaleObject, ResponseMessageError)
from exchangelib.folders import Root
from exchangelib.items import CalendarItem, Contact, MeetingRequest, Message, PostItem
from exchangelib.properties import FolderId, ItemId
from exchangelib.services import CreateItem, DeleteItem, FindFolder, FindItem, GetItem, SendItem, SyncFolderHierarchy, SyncFolderItems, UpdateItem
from exchangelib.util import DummyResponse
from exchangelib.version import EXCHANGE_2016

golden = sys.argv[1]
cfg = Configuration(service_endpoint="https://ex.example.com/EWS/Exchange.asmx", credentials=Credentials("u", "p"),
                    version=Version(build=EXCHANGE_2016), auth_type="basic")
account = Account("alice@example.com", config=cfg, autodiscover=False, access_type=IMPERSONATION)
root = Root(account=account, id="AAMkRoot=", changekey="AQAAAA==")
failed = False


def messages(svc, name):
    """The response messages of a golden file, as exchangelib's transport hands them over."""
    data = open(os.path.join(golden, name), "rb").read()
    _, body = svc._get_soap_parts(response=DummyResponse(content=data, streaming=False))
    svc.ERRORS_TO_CATCH_IN_RESPONSE = ResponseMessageError  # return per-message errors, as bulk calls do
    return svc._get_soap_messages(body=body)


def parse(svc, name):
    return list(svc._elems_to_objs(svc._get_elements_in_response(response=messages(svc, name))))


def pages(svc, name):
    """Each message of a paged answer: (objects or exception, next offset, total)."""
    out = []
    for m in messages(svc, name):
        page, next_offset = svc._get_page(m)
        if isinstance(page, Exception):
            out.append((page, None))
            continue
        out.append(([] if page is None else list(svc._elems_to_objs(svc._get_elems_from_page(page, None, 0))), next_offset))
    return out


def check(name, ok):
    global failed
    print(("ok   " if ok else "FAIL ") + name)
    failed = failed or not ok


svc = SyncFolderHierarchy(account=account)
svc.folder = root
r = parse(svc, "SyncFolderHierarchy.response.xml")
check("SyncFolderHierarchy", [c for c, _ in r] == ["create", "update", "delete"] and r[0][1].name == "Calendar"
      and r[1][1].unread_count == 3 and r[2][1] == FolderId(id="AAMkOld=", changekey="AQAAABQB")
      and svc.sync_state == "H4sIAAAAAAAEAB==" and svc.includes_last_item_in_range is True)

svc = SyncFolderItems(account=account)
r = parse(svc, "SyncFolderItems.response.xml")
check("SyncFolderItems", [c for c, _ in r] == ["create", "create", "update", "delete", "read_flag_change"]
      and [type(x) for _, x in r[:3]] == [Message, MeetingRequest, CalendarItem]
      and r[0][1].subject == "Quarterly report" and r[2][1].is_response_requested is True
      and r[3][1] == ItemId(id="AAMkGone=", changekey="CQAAAC==") and r[4][1] == (ItemId(id="AAMkMsg2=", changekey="CQAAAD=="), True)
      and svc.sync_state == "H4sIAAAAAAAEAO29B2B=" and svc.includes_last_item_in_range is False)

r = parse(GetItem(account=account), "GetItem.response.xml")
check("GetItem", [type(x) for x in r[:4]] == [Message, CalendarItem, CalendarItem, Contact] and isinstance(r[4], ErrorItemNotFound)
      and r[0].body == "Numbers & <figures>" and [a.name for a in r[0].attachments] == ["Fwd: numbers", "report.pdf"]
      and r[1].recurrence.boundary.number == 10 and r[1].required_attendees[0].mailbox.email_address == "bob@contoso.com"
      and r[1].type == "RecurringMaster" and r[2].type == "Occurrence"
      and r[3].phone_numbers[0].phone_number == "+45 1234 5678" and r[3].physical_addresses[0].city == "Aarhus")

svc = FindItem(account=account)
svc.shape, svc.additional_fields = "IdOnly", {"subject"}
r = pages(svc, "FindItem.response.xml")
check("FindItem", [type(x) for x in r[0][0]] == [Message, MeetingRequest, PostItem] and r[0][1] == 103
      and isinstance(r[1][0], ErrorFolderNotFound))
r = pages(svc, "FindItem-CalendarView.response.xml")
check("FindItem CalendarView", [x.type for x in r[0][0]] == ["Single", "Occurrence", "Occurrence"] and r[0][1] is None)

svc = FindFolder(account=account)
svc.root = root
r = pages(svc, "FindFolder.response.xml")
check("FindFolder", [f.name for f in r[0][0]] == ["Inbox", "Projects"] and r[0][1] is None and isinstance(r[1][0], ErrorInvalidOperation))

r = parse(CreateItem(account=account), "CreateItem.response.xml")
check("CreateItem", r[0] is True and (r[1].id, r[1].changekey) == ("AAMkNew=", "DwAAABYC") and isinstance(r[2], ErrorAccessDenied))

r = parse(UpdateItem(account=account), "UpdateItem.response.xml")
check("UpdateItem", r[0] == ("AAMkMsg1=", "CQAAAC==") and isinstance(r[2], ErrorIrresolvableConflict) and r[3] == ("AAMkCon1=", "EQAAAB=="))

svc = DeleteItem(account=account)
r = list(svc._get_elements_in_response(response=messages(svc, "DeleteItem.response.xml")))
check("DeleteItem", r[:2] == [True, True] and isinstance(r[2], ErrorItemNotFound))

svc = SendItem(account=account)
r = list(svc._get_elements_in_response(response=messages(svc, "SendItem.response.xml")))
check("SendItem", r[0] is True and isinstance(r[1], ErrorStaleObject) and isinstance(r[2], ErrorInvalidItemForOperationSendItem))

sys.exit(1 if failed else 0)
