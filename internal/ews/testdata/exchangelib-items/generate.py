# Writes the item and folder requests Debian's exchangelib builds, for decoding tests.
import datetime, os, sys
from exchangelib import (Configuration, Credentials, Version, Account, IMPERSONATION, Q, Message,
    CalendarItem, Contact, Mailbox, Attendee, HTMLBody, ExtendedProperty)
from exchangelib.version import EXCHANGE_2016
from exchangelib.services import *
from exchangelib.properties import *
from exchangelib.folders import Root, Inbox, Calendar, Contacts, SentItems
from exchangelib.indexed_properties import PhoneNumber, EmailAddress, PhysicalAddress
from exchangelib.recurrence import Recurrence, WeeklyPattern, NumberedPattern
from exchangelib.ewsdatetime import EWSTimeZone, EWSDateTime, EWSDate
from exchangelib.restriction import Restriction
from exchangelib.fields import FieldPath, FieldOrder

out = sys.argv[1]
cfg = Configuration(service_endpoint="https://ex.example.com/EWS/Exchange.asmx", credentials=Credentials("u", "p"),
                    version=Version(build=EXCHANGE_2016), auth_type="basic")
a = Account("alice@example.com", config=cfg, autodiscover=False, access_type=IMPERSONATION)
root = Root(account=a, id="AAMkRoot=", changekey="AQAAAA==")
inbox = Inbox(parent=root, id="AAMkInbox=", changekey="AQAAAB==")
calendar = Calendar(parent=root, id="AAMkCal=", changekey="AQAAAC==")
contacts = Contacts(parent=root, id="AAMkCon=", changekey="AQAAAD==")
tz = EWSTimeZone("Europe/Copenhagen")
utc = EWSTimeZone("UTC")


class Flagged(ExtendedProperty):
    property_tag = 0x1090
    property_type = "Integer"


Message.register("flag_status", Flagged)


def save(name, svc, payload):
    env = svc.wrap(content=payload, api_version="Exchange2016")
    open(os.path.join(out, name + ".request.xml"), "wb").write(env + b"\n")


def paths(folder, *names):
    return [FieldPath.from_string(n, folder=folder) for n in names]


def folder_paths(*names):
    return [FieldPath(field=Root.get_field_by_fieldname(n)) for n in names]


s = SyncFolderHierarchy(account=a)
save("SyncFolderHierarchy", s, s.get_payload(folder=root, shape="IdOnly",
     additional_fields=folder_paths("name", "folder_class"), sync_state="H4sIAAAAAAAEAA=="))

s = SyncFolderItems(account=a)
save("SyncFolderItems", s, s.get_payload(folder=inbox, shape="IdOnly", additional_fields=None,
     sync_state="H4sIAAAAAAAEAO29B2A=", ignore=[ItemId(id="AAMkIgn=", changekey="CQAAAA==")],
     max_changes_returned=100, sync_scope="NormalItems"))

s = GetItem(account=a)
save("GetItem", s, s.get_payload(items=[ItemId(id="AAMkMsg=", changekey="CQAAAB=="), ItemId(id="AAMkCal=", changekey="DwAAAA==")],
     additional_fields=paths(inbox, "subject", "datetime_received", "is_read", "flag_status", "body"), shape="IdOnly"))

s = FindItem(account=a)
q = Q(datetime_received__gte=EWSDateTime(2024, 5, 1, tzinfo=utc)) & Q(datetime_received__lt=EWSDateTime(2024, 6, 1, tzinfo=utc)) & ~Q(subject="Spam") & Q(subject__icontains="report")
save("FindItem", s, s.get_payload(folders=[inbox], additional_fields=paths(inbox, "subject", "datetime_received"),
     restriction=Restriction(q, folders=[inbox], applies_to=Restriction.ITEMS),
     order_fields=[FieldOrder.from_string("-datetime_received", folder=inbox)], query_string=None,
     shape="IdOnly", depth="Shallow", calendar_view=None, page_size=50, offset=100))
save("FindItem-CalendarView", s, s.get_payload(folders=[calendar], additional_fields=paths(calendar, "subject", "start", "end"),
     restriction=None, order_fields=None, query_string=None, shape="IdOnly", depth="Shallow",
     calendar_view=CalendarView(start=EWSDateTime(2024, 5, 1, tzinfo=tz), end=EWSDateTime(2024, 6, 1, tzinfo=tz), max_items=500),
     page_size=None))

s = FindFolder(account=a)
save("FindFolder", s, s.get_payload(folders=[root], additional_fields=folder_paths("name", "total_count"),
     restriction=Restriction(Q(folder_class="IPF.Note"), folders=[root], applies_to=Restriction.FOLDERS),
     shape="IdOnly", depth="Deep", page_size=100, offset=0))

msg = Message(account=a, folder=inbox, subject="Quarterly report", body=HTMLBody("<p>Numbers</p>"),
              to_recipients=[Mailbox(email_address="bob@example.com", name="Bob")],
              cc_recipients=["carol@example.com"], categories=["CRM"], importance="High", flag_status=2)
meeting = CalendarItem(account=a, folder=calendar, subject="Weekly sync", location="Room 1",
                       start=EWSDateTime(2024, 5, 6, 10, tzinfo=tz), end=EWSDateTime(2024, 5, 6, 11, tzinfo=tz),
                       required_attendees=[Attendee(mailbox=Mailbox(email_address="bob@example.com"), response_type="Unknown")],
                       recurrence=Recurrence(pattern=WeeklyPattern(interval=1, weekdays=["Monday"], first_day_of_week="Monday"),
                                             boundary=NumberedPattern(start=EWSDate(2024, 5, 6), number=10)),
                       reminder_minutes_before_start=15)
person = Contact(account=a, folder=contacts, display_name="Dana Smith", given_name="Dana", surname="Smith", company_name="Contoso",
                 email_addresses=[EmailAddress(label="EmailAddress1", email="dana@contoso.com")],
                 phone_numbers=[PhoneNumber(label="MobilePhone", phone_number="+45 1234 5678")],
                 physical_addresses=[PhysicalAddress(label="Business", street="1 Main St", city="Aarhus", country="Denmark", zipcode="8000")],
                 birthday=EWSDate(1990, 4, 1))
s = CreateItem(account=a)
save("CreateItem-Message", s, s.get_payload(items=[msg], folder=None, message_disposition="SendAndSaveCopy", send_meeting_invitations="SendToNone"))
save("CreateItem-CalendarItem", s, s.get_payload(items=[meeting], folder=calendar, message_disposition="SaveOnly", send_meeting_invitations="SendToAllAndSaveCopy"))
save("CreateItem-Contact", s, s.get_payload(items=[person], folder=contacts, message_disposition="SaveOnly", send_meeting_invitations="SendToNone"))

msg.id, msg.changekey = "AAMkMsg=", "CQAAAB=="
meeting.id, meeting.changekey = "AAMkMeet=", "DwAAAA=="
meeting.location = None
person.id, person.changekey = "AAMkPers=", "EQAAAA=="
s = UpdateItem(account=a)
save("UpdateItem", s, s.get_payload(items=[(msg, ["subject", "is_read", "flag_status", "categories"]),
                                           (meeting, ["start", "end", "location"]),
                                           (person, ["phone_numbers"])],
     conflict_resolution="AutoResolve", message_disposition="SaveOnly",
     send_meeting_invitations_or_cancellations="SendToChangedAndSaveCopy", suppress_read_receipts=True))

s = DeleteItem(account=a)
save("DeleteItem", s, s.get_payload(items=[ItemId(id="AAMkMsg=", changekey="CQAAAB=="), ItemId(id="AAMkMeet=")],
     delete_type="MoveToDeletedItems", send_meeting_cancellations="SendToNone",
     affected_task_occurrences="AllOccurrences", suppress_read_receipts=True))

s = SendItem(account=a)
sent = SentItems(parent=root, id="AAMkSent=", changekey="AQAAAE==")
save("SendItem", s, s.get_payload(items=[ItemId(id="AAMkDraft=", changekey="CQAAAC==")], saved_item_folder=sent))
