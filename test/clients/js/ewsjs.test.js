// The ews-javascript-api suite: a port of Microsoft's EWS Managed API, unmodified, run
// against the mailbridge Exchange simulator (scenario "contoso") over Basic auth, as the
// service account svc-sync impersonating alice. Each test says what it proves.
//
// Started by test/clients/clients_test.go, which runs `mailbridge sim --tls`, sets
// MAILBRIDGE_SIM to the simulator's JSON line and NODE_EXTRA_CA_CERTS to its CA. By hand:
//
//   MAILBRIDGE_SIM='{"ews_url":…}' NODE_EXTRA_CA_CERTS=…/ca.pem node --test ewsjs.test.js
//
// Tests run in file order, one at a time (node runs the tests of a file sequentially); the
// ones that add mail to alice's Inbox come after the ones that count it.
"use strict";

const nodeTest = require("node:test");
const assert = require("node:assert/strict");
const ews = require("ews-javascript-api");

if (!process.env.MAILBRIDGE_SIM) {
  throw new Error("MAILBRIDGE_SIM is not set: run this suite through `go test ./test/clients`");
}
const sim = JSON.parse(process.env.MAILBRIDGE_SIM);

const SVC = "svc-sync@contoso.com";
const SVC_PASS = "Svc-Pass-2026!";
const ALICE = "alice@contoso.com";
// How long a test waits for a notification before it fails.
const EVENT_TIMEOUT_MS = 15000;

// The client logs parse failures with console.log; keep its own tracing off.
ews.EwsLogging.DebugLogEnabled = false;

// service returns an ExchangeService for the simulator's EWS URL, impersonating target
// (none if target is null).
function service(target, { user = SVC, password = SVC_PASS, url = sim.ews_url } = {}) {
  const s = new ews.ExchangeService(ews.ExchangeVersion.Exchange2013_SP1);
  s.Url = new ews.Uri(url);
  s.Credentials = new ews.WebCredentials(user, password);
  if (target) {
    s.ImpersonatedUserId = new ews.ImpersonatedUserId(ews.ConnectingIdType.SmtpAddress, target);
  }
  return s;
}

// errorCode names the EWS error a rejected call carries: a SOAP fault (SoapFaultDetails,
// with ResponseCode) or a failed response message (ServiceResponseException, ErrorCode).
function errorCode(err) {
  const code = err && (err.ResponseCode !== undefined ? err.ResponseCode : err.ErrorCode);
  return code === undefined ? `no EWS error code in ${err && err.constructor && err.constructor.name}: ${err && err.message}` : ews.ServiceError[code];
}

// test is node:test's test, but a rejection that is not an Error (the client rejects with
// SoapFaultDetails objects) is reported by its EWS code, HTTP status and message.
function test(name, fn) {
  nodeTest(name, async (t) => {
    try {
      await fn(t);
    } catch (e) {
      if (e instanceof Error) {
        throw e;
      }
      const err = new Error(`${errorCode(e)} (HTTP ${e && e.HttpStatusCode}): ${e && e.message}`);
      err.stack = err.message; // where the client rejected is not in its stack anyway
      throw err;
    }
  });
}

async function rejectsWithCode(promise, code) {
  let err;
  await assert.rejects(promise, (e) => ((err = e), true));
  assert.equal(errorCode(err), code, `rejection: ${err && err.message}`);
  return err;
}

// admin calls the simulator's admin API (JSON in, JSON out).
async function admin(method, path, body) {
  const res = await fetch(sim.admin_url + path, {
    method,
    headers: { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  assert.ok(res.ok, `admin ${method} ${path}: HTTP ${res.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

function deliver(subject) {
  return admin("POST", "/deliver", { from: "bob@contoso.com", to: [ALICE], subject });
}

// syncAll runs SyncFolderItems from state until the server says nothing more is
// available, and returns every change, the pages' sizes and the final state.
async function syncAll(svc, folderId, state, pageSize) {
  const changes = [];
  const pages = [];
  for (let i = 0; i < 1000; i++) {
    const page = await svc.SyncFolderItems(folderId, ews.PropertySet.IdOnly, null, pageSize, ews.SyncFolderItemsScope.NormalItems, state);
    pages.push(page.Count);
    changes.push(...page.GetEnumerator());
    assert.ok(page.SyncState, "every SyncFolderItems answer carries a SyncState");
    state = page.SyncState;
    if (!page.MoreChangesAvailable) {
      return { changes, pages, state };
    }
    assert.ok(page.Count > 0, "a page that says more changes are available must not be empty");
  }
  throw new Error("SyncFolderItems never reached the end");
}

const inboxId = () => new ews.FolderId(ews.WellKnownFolderName.Inbox);

// --- Autodiscover ---------------------------------------------------------------------

// SOAP Autodiscover (GetUserSettings) at the simulator's explicit URL answers the service
// account's question about alice with the EWS URL, and that URL works for EWS.
test("Autodiscover GetUserSettings gives alice's ExternalEwsUrl, which serves EWS", async () => {
  const ad = new ews.AutodiscoverService(new ews.Uri(sim.autodiscover_soap_url), ews.ExchangeVersion.Exchange2013_SP1);
  ad.Credentials = new ews.WebCredentials(SVC, SVC_PASS);
  const res = await ad.GetUserSettings(ALICE, [ews.UserSettingName.ExternalEwsUrl, ews.UserSettingName.UserDisplayName]);
  assert.equal(ews.AutodiscoverErrorCode[res.ErrorCode], "NoError");
  const url = res.Settings.get(ews.UserSettingName.ExternalEwsUrl);
  assert.equal(url, sim.ews_url);
  assert.equal(res.Settings.get(ews.UserSettingName.UserDisplayName), "Alice Anderson");

  const inbox = await ews.Folder.Bind(service(ALICE, { url }), ews.WellKnownFolderName.Inbox);
  assert.equal(inbox.DisplayName, "Inbox");

  // frank is in the directory but has no mailbox: Autodiscover does not know him.
  const frank = await ad.GetUserSettings("frank@contoso.com", [ews.UserSettingName.ExternalEwsUrl]);
  assert.equal(ews.AutodiscoverErrorCode[frank.ErrorCode], "InvalidUser");
});

// --- Reading --------------------------------------------------------------------------

// GetFolder on a distinguished folder, under impersonation: alice's Inbox, with the
// scenario's 50 messages.
test("Folder.Bind(Inbox) returns alice's Inbox with its counts", async () => {
  const inbox = await ews.Folder.Bind(service(ALICE), ews.WellKnownFolderName.Inbox);
  assert.equal(inbox.DisplayName, "Inbox");
  assert.equal(inbox.TotalCount, 50);
  assert.ok(inbox.UnreadCount >= 0 && inbox.UnreadCount <= inbox.TotalCount, `UnreadCount ${inbox.UnreadCount}`);
  assert.ok(inbox.Id.UniqueId, "the Inbox has an id");
});

// SyncFolderHierarchy from scratch lists every folder once as a Create (including the
// Inbox, with the id GetFolder gives), and from the state it returns, nothing.
test("SyncFolderHierarchy lists the folders, then nothing from its state", async () => {
  const svc = service(ALICE);
  const first = await svc.SyncFolderHierarchy(ews.PropertySet.FirstClassProperties, null);
  assert.equal(first.MoreChangesAvailable, false);
  const changes = first.GetEnumerator();
  for (const c of changes) {
    assert.equal(ews.ChangeType[c.ChangeType], "Create");
  }
  const names = changes.map((c) => c.Folder.DisplayName);
  for (const want of ["Inbox", "Drafts", "Sent Items", "Deleted Items", "Calendar", "Contacts"]) {
    assert.ok(names.includes(want), `${want} missing from ${names.join(", ")}`);
  }
  assert.equal(new Set(changes.map((c) => c.FolderId.UniqueId)).size, changes.length, "folder ids are unique");
  const inbox = await ews.Folder.Bind(svc, ews.WellKnownFolderName.Inbox, ews.PropertySet.IdOnly);
  const synced = changes.find((c) => c.Folder.DisplayName === "Inbox");
  assert.equal(synced.FolderId.UniqueId, inbox.Id.UniqueId);

  const again = await svc.SyncFolderHierarchy(ews.PropertySet.FirstClassProperties, first.SyncState);
  assert.equal(again.Count, 0);
  assert.equal(again.MoreChangesAvailable, false);
});

// FindFolder with a deep traversal from the message folder root finds the same folders.
test("FindFolders (deep) under MsgFolderRoot finds the well-known folders", async () => {
  const view = new ews.FolderView(100);
  view.Traversal = ews.FolderTraversal.Deep;
  const res = await service(ALICE).FindFolders(ews.WellKnownFolderName.MsgFolderRoot, view);
  const names = res.Folders.map((f) => f.DisplayName);
  for (const want of ["Inbox", "Drafts", "Sent Items", "Calendar", "Contacts"]) {
    assert.ok(names.includes(want), `${want} missing from ${names.join(", ")}`);
  }
  assert.equal(res.TotalCount, res.Folders.length);
});

// SyncFolderItems pages through the Inbox in pages of at most 20, every item once as a
// Create, and the total equals the Inbox's TotalCount; from the last state, nothing.
test("SyncFolderItems paged to the end returns TotalCount items", async () => {
  const svc = service(ALICE);
  const inbox = await ews.Folder.Bind(svc, ews.WellKnownFolderName.Inbox);
  const { changes, pages, state } = await syncAll(svc, inboxId(), null, 20);
  assert.ok(pages.length >= 3, `50 items in pages of 20 need at least 3 pages, got ${pages}`);
  for (const n of pages) {
    assert.ok(n <= 20, `a page of ${n} exceeds MaxChangesReturned 20`);
  }
  for (const c of changes) {
    assert.equal(ews.ChangeType[c.ChangeType], "Create");
  }
  assert.equal(new Set(changes.map((c) => c.ItemId.UniqueId)).size, changes.length, "no item twice");
  assert.equal(changes.length, inbox.TotalCount);

  const rest = await svc.SyncFolderItems(inboxId(), ews.PropertySet.IdOnly, null, 20, ews.SyncFolderItemsScope.NormalItems, state);
  assert.equal(rest.Count, 0);
  assert.equal(rest.MoreChangesAvailable, false);
});

// GetItem in a batch: BindToItems returns one response per id, in order, with the items'
// properties; LoadPropertiesForItems fills in items FindItems returned with ids only.
test("GetItem: BindToItems and LoadPropertiesForItems", async () => {
  const svc = service(ALICE);
  const view = new ews.ItemView(5);
  view.PropertySet = ews.PropertySet.IdOnly;
  const found = await svc.FindItems(ews.WellKnownFolderName.Inbox, view);
  assert.equal(found.Items.length, 5);
  assert.equal(found.TotalCount, 50);
  const ids = found.Items.map((it) => it.Id);

  const bound = await svc.BindToItems(ids, ews.PropertySet.FirstClassProperties);
  assert.equal(bound.Count, 5);
  bound.Responses.forEach((r, i) => {
    assert.equal(ews.ServiceResult[r.Result], "Success");
    assert.equal(r.Item.Id.UniqueId, ids[i].UniqueId, "responses come in request order");
    assert.ok(r.Item.Subject, "the item has a subject");
    assert.ok(r.Item instanceof ews.EmailMessage, "an Inbox message is an EmailMessage");
  });

  const items = found.Items;
  const loaded = await svc.LoadPropertiesForItems(items, new ews.PropertySet(ews.BasePropertySet.FirstClassProperties, [ews.ItemSchema.Body]));
  assert.equal(ews.ServiceResult[loaded.OverallResult], "Success");
  items.forEach((it, i) => {
    assert.equal(it.Subject, bound.Responses[i].Item.Subject);
    assert.ok(it.Body && it.Body.Text, "the body was loaded");
  });
});

// FindItem with a CalendarView returns the events overlapping the window: all 20 of
// alice's (generated within ±90 days) for ±100 days, and only overlapping ones for a
// narrower window.
test("CalendarView (FindAppointments) returns the events within the window", async () => {
  const svc = service(ALICE);
  const now = ews.DateTime.Now;
  const wide = await svc.FindAppointments(ews.WellKnownFolderName.Calendar, new ews.CalendarView(now.AddDays(-100), now.AddDays(100)));
  assert.equal(wide.Items.length, 20);
  assert.equal(wide.TotalCount, 20);
  for (const a of wide.Items) {
    assert.ok(a instanceof ews.Appointment);
    assert.ok(a.Start.TotalMilliSeconds < a.End.TotalMilliSeconds, `${a.Subject}: Start before End`);
  }

  const from = now.AddDays(-100);
  const to = now;
  const narrow = await svc.FindAppointments(ews.WellKnownFolderName.Calendar, new ews.CalendarView(from, to));
  assert.ok(narrow.Items.length < 20, `events are spread over ±90 days, yet ${narrow.Items.length} are in the past`);
  const overlapping = wide.Items.filter((a) => a.End.TotalMilliSeconds > from.TotalMilliSeconds && a.Start.TotalMilliSeconds < to.TotalMilliSeconds);
  assert.deepEqual(narrow.Items.map((a) => a.Id.UniqueId).sort(), overlapping.map((a) => a.Id.UniqueId).sort());
});

// --- Directory ------------------------------------------------------------------------

// ResolveNames in the directory: a name fragment resolves to alice's mailbox; a name
// nobody has resolves to nothing.
test("ResolveNames resolves alice and nothing for an unknown name", async () => {
  const svc = service(ALICE);
  const res = await svc.ResolveName("Alice Anderson", ews.ResolveNameSearchLocation.DirectoryOnly, false);
  assert.equal(res.Count, 1);
  const mb = res._getItem(0).Mailbox;
  assert.equal(mb.Address.toLowerCase(), ALICE);
  assert.equal(mb.Name, "Alice Anderson");

  const none = await svc.ResolveName("Zebulon Nobody", ews.ResolveNameSearchLocation.DirectoryOnly, false);
  assert.equal(none.Count, 0);
});

// GetRoomLists lists HQ Rooms; GetRooms lists its three rooms.
test("GetRoomLists and GetRooms", async () => {
  const svc = service(ALICE);
  const lists = (await svc.GetRoomLists()).GetEnumerator();
  const hq = lists.find((a) => a.Address.toLowerCase() === "hq-rooms@contoso.com");
  assert.ok(hq, `hq-rooms missing from ${lists.map((a) => a.Address).join(", ")}`);
  assert.equal(hq.Name, "HQ Rooms");

  const rooms = await svc.GetRooms(new ews.EmailAddress("hq-rooms@contoso.com"));
  assert.deepEqual(rooms.map((r) => r.Address.toLowerCase()).sort(), ["room-atlas@contoso.com", "room-borealis@contoso.com", "room-cygnus@contoso.com"]);
});

// ExpandDL lists the members of sales@contoso.com (frank too: membership is a directory
// matter, not a mailbox one).
test("ExpandGroup lists the members of sales@", async () => {
  const res = await service(ALICE).ExpandGroup("sales@contoso.com");
  const members = res.Members.map((m) => m.Address.toLowerCase()).sort();
  assert.deepEqual(members, ["alice", "bob", "carol", "dave", "erin", "frank"].map((u) => u + "@contoso.com"));
  assert.equal(res.IncludesAllMembers, true);
});

// GetUserAvailability: free/busy for alice and a room over a week; each answer succeeds,
// and alice's busy times are events of her calendar in that window.
test("GetUserAvailability gives free/busy consistent with the calendar", async () => {
  const svc = service(ALICE);
  const start = ews.DateTime.Now.Date.AddDays(-14);
  const end = start.AddDays(28);
  const res = await svc.GetUserAvailability(
    [new ews.AttendeeInfo(ALICE), new ews.AttendeeInfo("room-atlas@contoso.com", ews.MeetingAttendeeType.Room, false)],
    new ews.TimeWindow(start, end),
    ews.AvailabilityData.FreeBusy,
  );
  const answers = res.AttendeesAvailability.Responses;
  assert.equal(answers.length, 2);
  for (const a of answers) {
    assert.equal(ews.ServiceResult[a.Result], "Success", a.ErrorMessage);
  }
  const cal = await svc.FindAppointments(ews.WellKnownFolderName.Calendar, new ews.CalendarView(start, end));
  const calSpans = new Set(cal.Items.map((a) => `${a.Start.TotalMilliSeconds}-${a.End.TotalMilliSeconds}`));
  assert.ok(answers[0].CalendarEvents.length > 0, "alice has events in this window (the scenario is relative to now)");
  for (const ev of answers[0].CalendarEvents) {
    const span = `${ev.StartTime.TotalMilliSeconds}-${ev.EndTime.TotalMilliSeconds}`;
    assert.ok(calSpans.has(span), `free/busy event ${ev.StartTime.ToISOString()}–${ev.EndTime.ToISOString()} is not in alice's calendar`);
  }
});

// ConvertId: an EWS id converted to a hex entry id and back still binds the same item.
test("ConvertId round-trips an item id", async () => {
  const svc = service(ALICE);
  const view = new ews.ItemView(1);
  const [item] = (await svc.FindItems(ews.WellKnownFolderName.Inbox, view)).Items;
  const hex = await svc.ConvertId(new ews.AlternateId(ews.IdFormat.EwsId, item.Id.UniqueId, ALICE), ews.IdFormat.HexEntryId);
  assert.equal(ews.IdFormat[hex.Format], "HexEntryId");
  assert.match(hex.UniqueId, /^[0-9A-F]+$/i);
  const back = await svc.ConvertId(new ews.AlternateId(ews.IdFormat.HexEntryId, hex.UniqueId, ALICE), ews.IdFormat.EwsId);
  const again = await ews.Item.Bind(svc, new ews.ItemId(back.UniqueId));
  assert.equal(again.Subject, item.Subject);
});

// --- Writing, seen through sync --------------------------------------------------------

// A draft created, updated and deleted by EWS shows up as exactly one change each (Create,
// Update, Delete) in SyncFolderItems from the previously saved state.
test("CreateItem/UpdateItem/DeleteItem each appear as one change in SyncFolderItems", async () => {
  const svc = service(ALICE);
  const drafts = new ews.FolderId(ews.WellKnownFolderName.Drafts);
  let { state } = await syncAll(svc, drafts, null, 100);

  const msg = new ews.EmailMessage(svc);
  msg.Subject = "ewsjs draft";
  msg.Body = new ews.MessageBody(ews.BodyType.Text, "written by ews-javascript-api");
  msg.ToRecipients.Add("carol@contoso.com");
  await msg.Save(ews.WellKnownFolderName.Drafts);
  const id = msg.Id.UniqueId;
  assert.ok(id, "Save assigned an id");

  const expectOne = async (kind) => {
    const r = await syncAll(svc, drafts, state, 100);
    assert.equal(r.changes.length, 1, `after ${kind}: ${r.changes.map((c) => ews.ChangeType[c.ChangeType]).join(", ")}`);
    assert.equal(ews.ChangeType[r.changes[0].ChangeType], kind);
    assert.equal(r.changes[0].ItemId.UniqueId, id);
    state = r.state;
  };
  await expectOne("Create");

  msg.Subject = "ewsjs draft, edited";
  await msg.Update(ews.ConflictResolutionMode.AlwaysOverwrite);
  const edited = await ews.EmailMessage.Bind(svc, new ews.ItemId(id));
  assert.equal(edited.Subject, "ewsjs draft, edited");
  await expectOne("Update");

  await msg.Delete(ews.DeleteMode.HardDelete);
  await rejectsWithCode(ews.EmailMessage.Bind(svc, new ews.ItemId(id)), "ErrorItemNotFound");
  await expectOne("Delete");
});

// recordOperations makes svc's transport note the SOAP operation of every request it
// sends, and returns the list it fills.
function recordOperations(svc) {
  const ops = [];
  const base = svc.XHRApi;
  svc.XHRApi = {
    apiName: base.apiName,
    xhr: (request, ...rest) => {
      const m = /<(?:\w+:)?Body>\s*<(?:\w+:)?(\w+)/.exec(request.data || "");
      ops.push(m ? m[1] : "");
      return base.xhr(request, ...rest);
    },
    xhrStream: (...args) => base.xhrStream(...args),
    disconnect: (...args) => base.disconnect(...args),
  };
  return ops;
}

// A saved draft with no unsaved changes is sent by SendAndSaveCopy with SendItem (a copy
// to Sent Items): it reaches carol's Inbox from alice, leaves alice's Drafts, and its copy
// is in alice's Sent Items.
test("SendItem: a saved draft sent with SendAndSaveCopy arrives in carol's Inbox", async () => {
  const svc = service(ALICE);
  const subject = `ewsjs send ${Date.now()}`;
  const msg = new ews.EmailMessage(svc);
  msg.Subject = subject;
  msg.Body = new ews.MessageBody(ews.BodyType.Text, "sent by ews-javascript-api");
  msg.ToRecipients.Add("carol@contoso.com");
  await msg.Save(ews.WellKnownFolderName.Drafts);
  const id = msg.Id.UniqueId;

  const ops = recordOperations(svc);
  await msg.SendAndSaveCopy();
  assert.deepEqual(ops, ["SendItem"]);
  await rejectsWithCode(ews.EmailMessage.Bind(svc, new ews.ItemId(id)), "ErrorItemNotFound");

  const bySubject = new ews.SearchFilter.IsEqualTo(ews.ItemSchema.Subject, subject);
  const carol = service("carol@contoso.com");
  const received = await carol.FindItems(inboxId(), bySubject, new ews.ItemView(10));
  assert.equal(received.TotalCount, 1, "carol received the message once");
  const got = await ews.EmailMessage.Bind(carol, received.Items[0].Id); // FindItem gives the sender's name only
  assert.equal(got.From.Address, ALICE);
  assert.equal(got.IsRead, false);
  const sent = await svc.FindItems(new ews.FolderId(ews.WellKnownFolderName.SentItems), bySubject, new ews.ItemView(10));
  assert.equal(sent.TotalCount, 1, "alice's Sent Items has the copy");
});

// --- Notifications --------------------------------------------------------------------

// A pull subscription on the Inbox reports a message delivered through the admin API
// (GetEvents polled until a deadline); after Unsubscribe, GetEvents is refused.
test("pull subscription: GetEvents reports a delivered message, Unsubscribe ends it", async () => {
  const svc = service(ALICE);
  const sub = await svc.SubscribeToPullNotifications([inboxId()], 10, null, ews.EventType.NewMail, ews.EventType.Created);
  assert.ok(sub.Id, "Subscribe returned an id");
  const subject = `pull ${Date.now()}`;
  await deliver(subject);
  const deadline = Date.now() + EVENT_TIMEOUT_MS;
  const events = [];
  while (!events.some((e) => ews.EventType[e.EventType] === "Created") && Date.now() < deadline) {
    const res = await sub.GetEvents();
    events.push(...res.ItemEvents);
  }
  const created = events.find((e) => ews.EventType[e.EventType] === "Created");
  assert.ok(created, `no Created event before the deadline; got ${events.map((e) => ews.EventType[e.EventType])}`);
  const item = await ews.Item.Bind(svc, created.ItemId);
  assert.equal(item.Subject, subject);

  await sub.Unsubscribe();
  await assert.rejects(sub.GetEvents(), "GetEvents on an ended subscription fails");
});

// A streaming subscription on the Inbox: StreamingSubscriptionConnection reports the
// NewMail/Created event of a message the admin API delivers. The first message is
// delivered before the connection opens (the subscription must queue it); the second once
// the first event arrived, over the open connection.
test("streaming subscription: delivered messages arrive as NewMail/Created events", async () => {
  const svc = service(ALICE);
  const sub = await svc.SubscribeToStreamingNotifications([inboxId()], ews.EventType.NewMail, ews.EventType.Created);
  const conn = new ews.StreamingSubscriptionConnection(svc, 1);
  conn.AddSubscription(sub);
  const subjects = [`streaming A ${Date.now()}`, `streaming B ${Date.now()}`];

  const seen = []; // subjects of Created items, in order
  let failure = null;
  const done = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out; seen ${JSON.stringify(seen)}`)), EVENT_TIMEOUT_MS);
    conn.OnSubscriptionError.push((_, args) => {
      failure = args.Exception;
      clearTimeout(timer);
      reject(new Error(`subscription error: ${args.Exception && args.Exception.message}`));
    });
    conn.OnNotificationEvent.push(async (_, args) => {
      try {
        for (const ev of args.Events) {
          if (ews.EventType[ev.EventType] !== "Created" && ews.EventType[ev.EventType] !== "NewMail") {
            continue;
          }
          const item = await ews.Item.Bind(svc, ev.ItemId);
          if (ews.EventType[ev.EventType] === "Created" && !seen.includes(item.Subject)) {
            seen.push(item.Subject);
            if (seen.length === 1) {
              await deliver(subjects[1]);
            }
          }
        }
        if (seen.length >= 2) {
          clearTimeout(timer);
          resolve();
        }
      } catch (e) {
        clearTimeout(timer);
        reject(e);
      }
    });
  });
  await deliver(subjects[0]);
  // Open's promise never resolves (the library settles it only on errors): don't await it.
  const opened = conn.Open();
  try {
    await Promise.race([done, opened.then(() => Promise.reject(new Error("the streaming request ended")))]);
  } finally {
    if (conn.IsOpen) {
      conn.Close();
    }
  }
  assert.equal(failure, null);
  assert.deepEqual(seen, subjects);
});

// --- NTLM -----------------------------------------------------------------------------

// The same library over NTLM (the @ewsjs/xhr NtlmProvider it ships): with deliberately
// wrong Basic credentials beside it, only the NTLM handshake can authenticate the call.
test("NTLM through @ewsjs/xhr authenticates CONTOSO\\svc-sync", async () => {
  const svc = service(ALICE, { user: "nobody", password: "not-the-password" });
  svc.XHRApi = new ews.XhrApi().useNtlmAuthentication("CONTOSO\\svc-sync", SVC_PASS);
  const inbox = await ews.Folder.Bind(svc, ews.WellKnownFolderName.Inbox);
  assert.equal(inbox.DisplayName, "Inbox");
});

// --- Denials --------------------------------------------------------------------------

// bob is outside the "Sales" scope of svc-sync's ApplicationImpersonation role.
test("impersonating bob (outside the scope) is ErrorImpersonateUserDenied", async () => {
  const err = await rejectsWithCode(ews.Folder.Bind(service("bob@contoso.com"), ews.WellKnownFolderName.Inbox), "ErrorImpersonateUserDenied");
  assert.equal(err.HttpStatusCode, 500);
});

// frank exists in the directory but has no mailbox.
test("impersonating frank (no mailbox) is ErrorNonExistentMailbox", async () => {
  const err = await rejectsWithCode(ews.Folder.Bind(service("frank@contoso.com"), ews.WellKnownFolderName.Inbox), "ErrorNonExistentMailbox");
  assert.equal(err.HttpStatusCode, 500);
});

// A wrong password never reaches EWS: HTTP 401, which the client reports as unauthorized.
test("a wrong password is HTTP 401", async () => {
  let err;
  await assert.rejects(ews.Folder.Bind(service(ALICE, { password: "wrong" }), ews.WellKnownFolderName.Inbox), (e) => ((err = e), true));
  assert.equal(err.HttpStatusCode, 401);
  // ServiceRequestUnauthorizedException is not exported: check it by name.
  assert.equal(err.Exception && err.Exception.constructor.name, "ServiceRequestUnauthorizedException");
});

// svc-norole has a mailbox but no ApplicationImpersonation role at all.
test("svc-norole (no role) is ErrorImpersonateUserDenied", async () => {
  await rejectsWithCode(ews.Folder.Bind(service(ALICE, { user: "svc-norole@contoso.com" }), ews.WellKnownFolderName.Inbox), "ErrorImpersonateUserDenied");
});

// svc-nombx has the role but no mailbox: impersonation needs none.
test("svc-nombx (role, no mailbox) may impersonate alice", async () => {
  const inbox = await ews.Folder.Bind(service(ALICE, { user: "svc-nombx@contoso.com" }), ews.WellKnownFolderName.Inbox);
  assert.equal(inbox.DisplayName, "Inbox");
});
