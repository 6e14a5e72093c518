"""The exchangelib suite: Debian's python3-exchangelib, unmodified, against the mailbridge
Exchange simulator (scenario "contoso") over NTLM, as CONTOSO\\svc-sync impersonating alice.
Each test's docstring says what it proves.

Started by test/clients/clients_test.go, which runs `mailbridge sim --tls` and sets
MAILBRIDGE_SIM (the simulator's JSON line), REQUESTS_CA_BUNDLE (its CA) and TMPDIR (for
exchangelib's Autodiscover cache). By hand, from this directory:

    MAILBRIDGE_SIM='{"ews_url": …}' REQUESTS_CA_BUNDLE=…/ca.pem \\
        /usr/bin/python3 -m unittest -v test_exchangelib

Use Debian's /usr/bin/python3: python3-exchangelib is installed for it only. unittest runs
the tests of a class in name order, one at a time; those that add mail to alice's Inbox
do not count it.
"""

import datetime
import json
import os
import queue
import re
import socket
import threading
import time
import unittest
import urllib.request
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
import requests.adapters
import requests.exceptions

from exchangelib import (
    IMPERSONATION,
    NTLM,
    UTC,
    Account,
    Build,
    Configuration,
    Credentials,
    EWSDateTime,
    EWSTimeZone,
    Message,
    Version,
)
from exchangelib.autodiscover import autodiscover_cache
from exchangelib.autodiscover.discovery.base import BaseAutodiscovery
from exchangelib.errors import (
    ErrorImpersonateUserDenied,
    ErrorItemNotFound,
    ErrorNameResolutionNoResults,
    ErrorNonExistentMailbox,
    UnauthorizedError,
)
from exchangelib.folders import Calendar, Contacts, Drafts, Inbox, SentItems
from exchangelib.properties import AlternateId, CreatedEvent, ItemId, NewMailEvent, TimeZone
from exchangelib.protocol import BaseProtocol, Protocol

if "MAILBRIDGE_SIM" not in os.environ:
    raise SystemExit("MAILBRIDGE_SIM is not set: run this suite through `go test ./test/clients`")
SIM = json.loads(os.environ["MAILBRIDGE_SIM"])
SIM_NETLOC = urlsplit(SIM["ews_url"]).netloc

SVC = Credentials("CONTOSO\\svc-sync", "Svc-Pass-2026!")
ALICE = "alice@contoso.com"
# The simulator imitates Exchange 2016 (15.1). Tests other than test_version_guess give the
# version, so that they do not all depend on exchangelib's ConvertId probe.
EXCHANGE_2016 = Version(build=Build(15, 1, 2507, 6), api_version="Exchange2016")
# How long a test waits for a notification before it fails.
EVENT_TIMEOUT = 15


class SimulatorAdapter(requests.adapters.HTTPAdapter):
    """The transport adapter exchangelib uses (BaseProtocol.HTTP_ADAPTER_CLS, its documented
    hook for custom transports). It does two things exchangelib cannot be told otherwise:

    - Autodiscover derives https://contoso.com/… and https://autodiscover.contoso.com/… (port
      443) from the email address. The simulator listens on a free port of 127.0.0.1, so the
      adapter sends those requests there, keeping the Host header, as DNS and a listener on
      443 would. Other contoso.com URLs (the plain-HTTP redirect step) are refused.
    - It records the SOAP operation and status of every exchange, so that tests can check
      what exchangelib sent (e.g. that SyncFolderItems was paged).
    """

    ROUTED = {"contoso.com", "autodiscover.contoso.com"}
    rerouted = []  # original URLs sent to the simulator
    exchanges = []  # (operation, HTTP status)
    lock = threading.Lock()

    def send(self, request, **kwargs):
        u = urlsplit(request.url)
        if u.hostname in self.ROUTED:
            if u.scheme != "https" or u.port is not None:
                raise requests.exceptions.ConnectionError(f"nothing listens at {request.url}")
            with self.lock:
                self.rerouted.append(request.url)
            request.url = urlunsplit(u._replace(netloc=SIM_NETLOC))
            request.headers["Host"] = u.hostname
        response = super().send(request, **kwargs)
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        m = re.search(rb"<s:Body><m:(\w+)", body) or re.search(rb"<(?:\w+:)?Body>\s*<(?:\w+:)?(\w+)", body)
        with self.lock:
            self.exchanges.append((m.group(1).decode() if m else "", response.status_code))
        return response

    @classmethod
    def count(cls, operation, status=200):
        with cls.lock:
            return sum(1 for op, st in cls.exchanges if op == operation and st == status)


class ContosoDNS:
    """A DNS server on 127.0.0.1 for exchangelib's Autodiscover, which checks that each
    candidate host resolves (and looks up SRV records) with its own resolver, configured
    through BaseAutodiscovery.DNS_RESOLVER_KWARGS/ATTRS. It answers A queries for the routed
    contoso hosts with 127.0.0.1 and everything else with NXDOMAIN."""

    def __init__(self, names):
        self.names = {n.rstrip(".").lower() for n in names}
        self.queries = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                data, addr = self.sock.recvfrom(4096)
            except OSError:
                return  # closed
            query = dns.message.from_wire(data)
            response = dns.message.make_response(query)
            q = query.question[0]
            name = q.name.to_text().rstrip(".").lower()
            self.queries.append((name, dns.rdatatype.to_text(q.rdtype)))
            if name in self.names and q.rdtype == dns.rdatatype.A:
                response.answer.append(dns.rrset.from_text(q.name, 60, "IN", "A", "127.0.0.1"))
            elif name not in self.names:
                response.set_rcode(dns.rcode.NXDOMAIN)
            response.flags |= dns.flags.AA
            self.sock.sendto(response.to_wire(), addr)

    def close(self):
        self.sock.close()


DNS = None


def setUpModule():
    global DNS
    BaseProtocol.HTTP_ADAPTER_CLS = SimulatorAdapter
    # exchangelib shares one protocol (and its session pool, one session by default) per
    # endpoint and credentials. The streaming test reads events on one connection while it
    # fetches items on another.
    BaseProtocol.SESSION_POOLSIZE = 4
    DNS = ContosoDNS(SimulatorAdapter.ROUTED)
    BaseAutodiscovery.DNS_RESOLVER_KWARGS = {"configure": False}
    BaseAutodiscovery.DNS_RESOLVER_ATTRS = {"nameservers": ["127.0.0.1"], "port": DNS.port, "timeout": 2}
    BaseAutodiscovery.DNS_RESOLVER_LIFETIME = 5


def tearDownModule():
    DNS.close()


def config(credentials=SVC, version=EXCHANGE_2016):
    return Configuration(service_endpoint=SIM["ews_url"], credentials=credentials, auth_type=NTLM, version=version)


def account(address=ALICE, credentials=SVC):
    return Account(address, config=config(credentials), access_type=IMPERSONATION, autodiscover=False)


def admin(method, path, body=None):
    """Calls the simulator's admin API (JSON in, JSON out)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(SIM["admin_url"] + path, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10, cafile=SIM["ca_cert"]) as resp:
        text = resp.read()
    return json.loads(text) if text else None


def span(event):
    """An event's start and end as datetimes. exchangelib turns an all-day event's into
    dates, the end one inclusive (EWS's end minus a day)."""
    if event.is_all_day:
        tz = event._start_timezone or UTC
        return (EWSDateTime.combine(event.start, datetime.time(0), tzinfo=tz),
                EWSDateTime.combine(event.end + timedelta(days=1), datetime.time(0), tzinfo=tz))
    return event.start, event.end


def deliver(subject):
    return admin("POST", "/deliver", {"from": "bob@contoso.com", "to": [ALICE], "subject": subject})


class ExchangelibTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.account = account()

    # --- Protocol and Autodiscover --------------------------------------------------------

    def test_version_guess(self):
        """Without a configured version, exchangelib's first request (a ConvertId probe)
        reads the server's version from ServerVersionInfo: Exchange 2016, 15.1."""
        protocol = Protocol(config=config(version=None))
        version = protocol.version
        self.assertEqual((version.build.major_version, version.build.minor_version), (15, 1))
        self.assertEqual(version.api_version, "Exchange2016")

    def _autodiscover(self, kind):
        autodiscover_cache.clear()
        SimulatorAdapter.rerouted.clear()
        acct = Account(ALICE, credentials=SVC, autodiscover=kind, access_type=IMPERSONATION, config=Configuration(credentials=SVC, auth_type=NTLM, version=EXCHANGE_2016))
        self.assertEqual(acct.protocol.service_endpoint.lower(), SIM["ews_url"].lower())
        self.assertEqual(acct.primary_smtp_address, ALICE)
        # The first candidate, https://contoso.com/autodiscover/…, was the one that answered.
        self.assertTrue(SimulatorAdapter.rerouted, "Autodiscover never reached the simulator")
        self.assertTrue(SimulatorAdapter.rerouted[0].lower().startswith("https://contoso.com/autodiscover/"), SimulatorAdapter.rerouted)
        self.assertIn(("contoso.com", "A"), DNS.queries)
        self.assertEqual(acct.inbox.name, "Inbox")
        return acct

    def test_autodiscover_soap(self):
        """exchangelib's own SOAP Autodiscover, from the address alone (contoso.com resolved
        by a test DNS server to the simulator), finds the EWS URL, which then works."""
        acct = self._autodiscover("soap")
        self.assertEqual(acct.ad_response.autodiscover_smtp_address, ALICE)

    def test_autodiscover_pox(self):
        """The same with POX Autodiscover (autodiscover.xml), exchangelib's default."""
        self._autodiscover("pox")

    # --- Reading ---------------------------------------------------------------------------

    def test_bind_inbox(self):
        """GetFolder on the distinguished Inbox, under impersonation: the scenario's 50."""
        inbox = self.account.inbox
        self.assertIsInstance(inbox, Inbox)
        self.assertEqual(inbox.name, "Inbox")
        self.assertEqual(inbox.total_count, 50)
        self.assertTrue(0 <= inbox.unread_count <= inbox.total_count)

    def test_folder_hierarchy(self):
        """root.refresh() (GetFolder), the folder tree (GetFolder of every distinguished
        folder, then FindFolder deep), and sync_hierarchy (SyncFolderHierarchy): the
        well-known folders appear with the ids GetFolder gives, and a second sync from the
        saved state has no change."""
        acct = account()
        root = acct.root
        root.refresh()
        root.clear_cache()
        walked = {f.id: f for f in root.walk()}
        for cls in (Inbox, Drafts, SentItems, Calendar, Contacts):
            self.assertTrue(any(type(f) is cls for f in walked.values()), f"no {cls.__name__} in the tree: {[f.name for f in walked.values()]}")

        changes = list(root.sync_hierarchy())
        self.assertTrue(changes)
        self.assertEqual({c for c, _ in changes}, {"create"})
        synced = {f.id: f for _, f in changes}
        self.assertEqual(len(synced), len(changes), "a folder was listed twice")
        for folder in (acct.inbox, acct.drafts, acct.sent, acct.calendar, acct.contacts):
            self.assertIn(folder.id, synced, f"{folder.name} missing from SyncFolderHierarchy")
            self.assertIn(folder.id, walked, f"{folder.name} missing from FindFolder")
        self.assertIsNotNone(root.folder_sync_state)
        self.assertEqual(list(root.sync_hierarchy()), [])

    def test_sync_items_paged(self):
        """sync_items in pages of 10 (all fields, exchangelib's default shape) yields every
        Inbox item once as a create, as many as TotalCount; it took several
        SyncFolderItems calls, and a later sync from the saved state yields nothing."""
        inbox = account().inbox
        total = inbox.total_count
        before = SimulatorAdapter.count("SyncFolderItems")
        changes = list(inbox.sync_items(max_changes_returned=10))
        calls = SimulatorAdapter.count("SyncFolderItems") - before
        self.assertEqual({c for c, _ in changes}, {"create"})
        ids = [item.id for _, item in changes]
        self.assertEqual(len(set(ids)), len(ids), "an item was synced twice")
        self.assertEqual(len(ids), total)
        self.assertGreaterEqual(calls, -(-total // 10), "fewer SyncFolderItems calls than pages of 10")
        for _, item in changes:
            self.assertIsInstance(item, Message)
            self.assertTrue(item.subject)
        self.assertEqual(list(inbox.sync_items()), [])

    def test_fetch(self):
        """account.fetch (GetItem in a batch) returns the items in request order, with
        subjects and bodies equal to what the Inbox listing (FindItem) gives."""
        listed = list(self.account.inbox.all().order_by("-datetime_received")[:5])
        self.assertEqual(len(listed), 5)
        fetched = list(self.account.fetch(ids=[(i.id, i.changekey) for i in listed]))
        self.assertEqual([f.id for f in fetched], [i.id for i in listed])
        for f, i in zip(fetched, listed):
            self.assertIsInstance(f, Message)
            self.assertEqual(f.subject, i.subject)
            self.assertTrue(f.body, "GetItem returned no body")

    def test_calendar_view(self):
        """calendar.view (FindItem with CalendarView): all 20 of alice's events (generated
        within ±90 days) over ±100 days; over the past 100 days only those that overlap."""
        now = EWSDateTime.now(tz=UTC)
        wide = list(self.account.calendar.view(start=now - timedelta(days=100), end=now + timedelta(days=100)))
        self.assertEqual(len(wide), 20)
        for e in wide:
            first, last = span(e)
            self.assertLess(first, last, e.subject)
        start, end = now - timedelta(days=100), now
        narrow = list(self.account.calendar.view(start=start, end=end))
        self.assertLess(len(narrow), 20)
        overlapping = sorted(e.id for e in wide if span(e)[1] > start and span(e)[0] < end)
        self.assertEqual(sorted(e.id for e in narrow), overlapping)

    # --- Directory -------------------------------------------------------------------------

    def test_resolve_names(self):
        """ResolveNames: a full name resolves to alice's mailbox; an unknown name to
        ErrorNameResolutionNoResults, which exchangelib hands back as a value."""
        found = self.account.protocol.resolve_names(["Alice Anderson"])
        self.assertEqual(len(found), 1, found)
        self.assertEqual(found[0].email_address.lower(), ALICE)
        self.assertEqual(found[0].name, "Alice Anderson")
        (none,) = self.account.protocol.resolve_names(["Zebulon Nobody"])
        self.assertIsInstance(none, ErrorNameResolutionNoResults)

    def test_rooms(self):
        """GetRoomLists lists HQ Rooms, GetRooms its three rooms."""
        lists = list(self.account.protocol.get_roomlists())
        hq = [r for r in lists if r.email_address.lower() == "hq-rooms@contoso.com"]
        self.assertEqual(len(hq), 1, lists)
        self.assertEqual(hq[0].name, "HQ Rooms")
        rooms = sorted(r.email_address.lower() for r in self.account.protocol.get_rooms("hq-rooms@contoso.com"))
        self.assertEqual(rooms, ["room-atlas@contoso.com", "room-borealis@contoso.com", "room-cygnus@contoso.com"])

    def test_expand_dl(self):
        """ExpandDL lists the six members of sales@contoso.com, frank included."""
        members = sorted(m.email_address.lower() for m in self.account.protocol.expand_dl("sales@contoso.com"))
        self.assertEqual(members, [u + "@contoso.com" for u in ("alice", "bob", "carol", "dave", "erin", "frank")])

    def test_server_timezones(self):
        """GetServerTimeZones: every zone by name (Id and Name only), and full definitions
        that exchangelib turns into the availability service's rules: Copenhagen's (Romance
        Standard Time) for this year, and New York's (Eastern Standard Time) for the years
        before and after the 2007 change."""
        names = {tz.id: tz.name for tz in self.account.protocol.get_timezones()}
        self.assertGreaterEqual(len(names), 7, names)
        for ms_id in ("UTC", "W. Europe Standard Time", "GMT Standard Time", "Eastern Standard Time",
                      "Central Standard Time", "Mountain Standard Time", "Pacific Standard Time"):
            self.assertTrue(names.get(ms_id), f"{ms_id} missing from {sorted(names)}")
        self.assertEqual(names["Eastern Standard Time"], "(UTC-05:00) Eastern Time (US & Canada)")

        (cph,) = self.account.protocol.get_timezones(timezones=[EWSTimeZone("Europe/Copenhagen")], return_full_timezone_data=True)
        self.assertEqual(cph.id, "Romance Standard Time")
        tz = TimeZone.from_server_timezone(tz_definition=cph, for_year=2026)
        self.assertEqual((tz.bias, tz.daylight_time.bias), (-60, -60))
        self.assertEqual((tz.daylight_time.iso_month, tz.daylight_time.occurrence, tz.daylight_time.time), (3, 5, datetime.time(2)))
        self.assertEqual((tz.standard_time.iso_month, tz.standard_time.occurrence, tz.standard_time.time), (10, 5, datetime.time(3)))

        (ny,) = self.account.protocol.get_timezones(timezones=[EWSTimeZone("America/New_York")], return_full_timezone_data=True)
        for year, dst_start, dst_end in ((2005, (4, 1), (10, 5)), (2026, (3, 2), (11, 1))):
            tz = TimeZone.from_server_timezone(tz_definition=ny, for_year=year)
            self.assertEqual(tz.bias, 300, year)
            self.assertEqual((tz.daylight_time.iso_month, tz.daylight_time.occurrence), dst_start, year)
            self.assertEqual((tz.standard_time.iso_month, tz.standard_time.occurrence), dst_end, year)

    def test_free_busy(self):
        """get_free_busy_info for alice and a room over four weeks, asked in Copenhagen time:
        exchangelib first fetches the zone's definition (GetServerTimeZones) to build
        GetUserAvailability's t:TimeZone; each mailbox answers, and each of alice's busy
        blocks is an event of her calendar. Exchange writes the blocks' times without a
        zone, as wall times in the request's zone, so exchangelib hands them back naive:
        the test reads them in that zone."""
        tz = EWSTimeZone("Europe/Copenhagen")
        now = EWSDateTime.now(tz=tz).replace(hour=0, minute=0, second=0, microsecond=0)
        start, end = now - timedelta(days=14), now + timedelta(days=14)
        room = account("room-atlas@contoso.com")
        before = SimulatorAdapter.count("GetServerTimeZones")
        views = list(self.account.protocol.get_free_busy_info(
            accounts=[(self.account, "Organizer", False), (room, "Room", False)],
            start=start, end=end, requested_view="FreeBusy"))
        self.assertEqual(SimulatorAdapter.count("GetServerTimeZones"), before + 1)
        self.assertEqual(len(views), 2)
        for v in views:
            self.assertNotIsInstance(v, Exception, v)
        spans = {span(e) for e in self.account.calendar.view(start=start, end=end)}
        self.assertTrue(views[0].calendar_events, "alice has events in this window (the scenario is relative to now)")
        for ev in views[0].calendar_events:
            self.assertIsNone(ev.start.tzinfo, "Exchange writes free/busy times without a zone")
            block = (ev.start.replace(tzinfo=tz), ev.end.replace(tzinfo=tz))
            self.assertIn(block, spans, f"free/busy block {ev.start}–{ev.end} (Copenhagen) is not in alice's calendar")
        self.assertTrue(views[1].calendar_events, "the room has bookings in this window")

    def test_convert_id(self):
        """ConvertId: an EWS id converted to a hex entry id and back still fetches the item."""
        item = self.account.inbox.all().order_by("-datetime_received")[0]
        (hex_id,) = self.account.protocol.convert_ids([AlternateId(id=item.id, format="EwsId", mailbox=ALICE)], destination_format="HexEntryId")
        self.assertNotIsInstance(hex_id, Exception, hex_id)
        self.assertRegex(hex_id.id, r"^[0-9A-Fa-f]+$")
        (back,) = self.account.protocol.convert_ids([AlternateId(id=hex_id.id, format="HexEntryId", mailbox=ALICE)], destination_format="EwsId")
        self.assertNotIsInstance(back, Exception, back)
        (again,) = self.account.fetch(ids=[(back.id, None)])
        self.assertNotIsInstance(again, Exception, again)
        self.assertEqual(again.subject, item.subject)

    # --- Writing, seen through sync ----------------------------------------------------------

    def test_create_update_delete_seen_by_sync(self):
        """A draft saved, edited and deleted (CreateItem, UpdateItem, DeleteItem) is exactly
        one change each — create, update, delete — in sync_items from the saved state."""
        drafts = account().drafts
        list(drafts.sync_items())  # the initial sync; drafts.item_sync_state is saved

        def one_change(kind, item_id):
            changes = list(drafts.sync_items())
            self.assertEqual([c for c, _ in changes], [kind])
            self.assertEqual(changes[0][1].id, item_id)

        m = Message(account=drafts.account, folder=drafts, subject="exchangelib draft", body="written by exchangelib", to_recipients=["carol@contoso.com"])
        m.save()
        self.assertTrue(m.id)
        one_change("create", m.id)

        m.subject = "exchangelib draft, edited"
        m.save(update_fields=["subject"])
        self.assertEqual(drafts.get(id=m.id).subject, "exchangelib draft, edited")
        one_change("update", m.id)

        item_id = m.id
        m.delete()
        # exchangelib hands per-item errors back as values, not raised.
        self.assertIsInstance(drafts.get(id=item_id), ErrorItemNotFound)
        one_change("delete", item_id)

    def test_send_draft(self):
        """A saved draft sent with Message.send() (SendItem, a copy to Sent Items) reaches
        carol's Inbox from alice, unread; it is gone from alice's Drafts and its copy is in
        her Sent Items."""
        acct = account()
        subject = f"exchangelib send {time.time()}"
        m = Message(account=acct, folder=acct.drafts, subject=subject, body="sent by exchangelib", to_recipients=["carol@contoso.com"])
        m.save()
        draft_id = m.id
        before = SimulatorAdapter.count("SendItem")
        m.send()
        self.assertEqual(SimulatorAdapter.count("SendItem"), before + 1)
        self.assertIsInstance(acct.drafts.get(id=draft_id), ErrorItemNotFound)

        received = list(account("carol@contoso.com").inbox.filter(subject=subject))
        self.assertEqual(len(received), 1, "carol received the message once")
        self.assertEqual(received[0].sender.email_address, ALICE)
        self.assertFalse(received[0].is_read)
        self.assertEqual(len(list(acct.sent.filter(subject=subject))), 1, "alice's Sent Items has the copy")

    # --- Notifications ---------------------------------------------------------------------

    def _subject_of(self, event):
        (item,) = self.account.fetch(ids=[(event.item_id.id, None)])
        self.assertNotIsInstance(item, Exception, item)
        return item.subject

    def test_pull_subscription(self):
        """A pull subscription on the Inbox reports a message the admin API delivers
        (GetEvents polled until a deadline); after Unsubscribe, GetEvents is refused."""
        inbox = self.account.inbox
        sub_id, watermark = inbox.subscribe_to_pull(event_types=["NewMailEvent", "CreatedEvent"], timeout=10)
        subject = f"pull {time.time()}"
        deliver(subject)
        created = None
        deadline = time.monotonic() + EVENT_TIMEOUT
        while created is None and time.monotonic() < deadline:
            for notification in inbox.get_events(sub_id, watermark):  # pages while MoreEvents
                for ev in notification.events:
                    watermark = ev.watermark or watermark
                    if isinstance(ev, CreatedEvent):
                        created = ev
        self.assertIsNotNone(created, "no CreatedEvent before the deadline")
        self.assertEqual(self._subject_of(created), subject)
        inbox.unsubscribe(sub_id)
        with self.assertRaises(Exception):
            list(inbox.get_events(sub_id, watermark))

    def test_streaming_subscription(self):
        """A streaming subscription on the Inbox (GetStreamingEvents) reports messages the
        admin API delivers as NewMail/Created events: the first delivered before the
        connection opens (the subscription queues it), the second once the first arrived."""
        inbox = self.account.inbox
        sub_id = inbox.subscribe_to_streaming(event_types=["NewMailEvent", "CreatedEvent"])
        events = queue.Queue()

        def listen():
            try:
                for notification in inbox.get_streaming_events(sub_id, connection_timeout=1):
                    for ev in notification.events:
                        events.put(ev)
                events.put(RuntimeError("the streaming connection closed"))
            except Exception as e:  # handed to the test thread
                events.put(e)

        subjects = [f"streaming A {time.time()}", f"streaming B {time.time()}"]
        deliver(subjects[0])
        # A daemon: if the server never ends the stream, the thread dies with the process.
        threading.Thread(target=listen, daemon=True).start()
        seen = []
        deadline = time.monotonic() + EVENT_TIMEOUT
        while len(seen) < 2:
            try:
                ev = events.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                self.fail(f"timed out waiting for Created events; seen {seen}")
            if isinstance(ev, Exception):
                raise ev
            if isinstance(ev, CreatedEvent):
                seen.append(self._subject_of(ev))
                if len(seen) == 1:
                    deliver(subjects[1])
            elif not isinstance(ev, NewMailEvent):
                self.fail(f"unexpected event {ev!r}")
        self.assertEqual(seen, subjects)

    # --- Denials ---------------------------------------------------------------------------

    def test_deny_out_of_scope(self):
        """bob is outside the Sales scope of svc-sync's ApplicationImpersonation role."""
        with self.assertRaises(ErrorImpersonateUserDenied):
            account("bob@contoso.com").inbox.total_count

    def test_deny_no_mailbox(self):
        """frank is in the directory without a mailbox."""
        with self.assertRaises(ErrorNonExistentMailbox):
            account("frank@contoso.com").inbox.total_count

    def test_deny_wrong_password(self):
        """A wrong password ends the NTLM handshake with HTTP 401, before EWS."""
        before = len(SimulatorAdapter.exchanges)
        with self.assertRaises(UnauthorizedError):
            account(credentials=Credentials("CONTOSO\\svc-sync", "wrong")).inbox.total_count
        statuses = [st for _, st in SimulatorAdapter.exchanges[before:]]
        self.assertEqual(statuses[-1], 401, statuses)

    def test_deny_no_role(self):
        """svc-norole has a mailbox but no ApplicationImpersonation role."""
        with self.assertRaises(ErrorImpersonateUserDenied):
            account(credentials=Credentials("CONTOSO\\svc-norole", "Svc-Pass-2026!")).inbox.total_count

    def test_role_without_mailbox(self):
        """svc-nombx has the role and no mailbox: impersonation needs none."""
        inbox = account(credentials=Credentials("CONTOSO\\svc-nombx", "Svc-Pass-2026!")).inbox
        self.assertEqual(inbox.name, "Inbox")


if __name__ == "__main__":
    unittest.main(verbosity=2)
