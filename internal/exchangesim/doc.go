// Package exchangesim is an Exchange organization in memory, served on a real listener:
// EWS and Autodiscover as Exchange 2016/2019 answer them, Microsoft Graph v1.0 and an
// Entra ID token endpoint as Microsoft 365 answers them, and a JSON admin API, all over
// one World (directory, mailboxes, folders, items and their change journals). A change
// made through one protocol or the admin API is seen by the others: Graph's delta
// tokens carry the same sync states as EWS's SyncFolderItems.
//
// # Microsoft 365 (Graph and Entra ID)
//
// The listener also serves, under the base URL (Info.GraphURL, Info.AuthorityURL):
//
//	POST /{tenant}/oauth2/v2.0/token                         client credentials flow
//	GET  /{tenant}/v2.0/.well-known/openid-configuration     tenant ID from a domain
//	GET  /v1.0/users, /v1.0/users/{id | upn}
//	GET  /v1.0/users/{id}/mailFolders[/{id}[/childFolders]]
//	GET  /v1.0/users/{id}/mailFolders/{id}/messages/delta
//	GET  /v1.0/users/{id}/calendarView/delta?startDateTime&endDateTime
//	GET  /v1.0/users/{id}/contacts/delta, …/contactFolders/{id}/contacts/delta
//	POST /v1.0/users/{id}/calendar/getSchedule
//	GET  /v1.0/places/microsoft.graph.roomlist, /v1.0/places/microsoft.graph.room,
//	     /v1.0/places/{roomlist}/microsoft.graph.roomlist/rooms
//	POST /v1.0/$batch
//	POST /v1.0/subscriptions, GET /v1.0/subscriptions[/{id}], PATCH and DELETE
//	     /v1.0/subscriptions/{id}, POST /v1.0/subscriptions/{id}/reauthorize
//
// Subscriptions (change notifications, graph_subscriptions.go) watch a user's
// mailFolders('inbox')/messages, messages, events or contacts: creation runs the
// validation handshake against notificationUrl and lifecycleNotificationUrl (https, or
// http to loopback), and every created, updated or deleted item of the resource is then
// POSTed there with the subscription's clientState; they last at most 10080 minutes.
//
// With ListenConfig.MicrosoftHosts and TLS, the certificate also covers
// graph.microsoft.com, login.microsoftonline.com and outlook.office365.com, and
// Server.ResolveSpecs maps them to the listener (see internal/hostoverride), so a client
// can use the real URLs. Options.Microsoft365.ExchangeOnline makes the EWS endpoint
// behave as Exchange Online's (bearer tokens only; see entra_ews.go).
//
// The contoso scenario's tenant:
//
//   - tenant ID ContosoTenantID (3f5c2a1e-8d4b-4c7a-9e21-6b0d4f8a1c25), verified
//     domains contoso.com and contoso.onmicrosoft.com;
//   - app ContosoAppClientID (8a1f6c3d-2b7e-4f90-a5c4-1d9e7b3a6f02), secret
//     ContosoAppSecret ("Sim~AppSecret.Contoso-2026"): Mail.Read, Calendars.Read,
//     Contacts.Read, Place.Read.All, User.Read.All and full_access_as_app with admin
//     consent, limited by RBAC for Applications to the management scope "Sales" —
//     alice, carol, dave, erin and the rooms can be read, bob cannot (403
//     ErrorAccessDenied), frank has no mailbox (404 MailboxNotEnabledForRESTAPI);
//   - app ContosoNoConsentAppClientID (c4e9b2a7-5d1f-4a86-b3e0-7f2c8d6a9e14), secret
//     ContosoNoConsentAppSecret: the same permissions without admin consent (token
//     endpoint: AADSTS65001);
//   - app ContosoExpiredAppClientID (e7d3a9f1-6c2b-4e58-8a1d-3b5f9c0e2d47), secret
//     ContosoExpiredAppSecret, which expired the day before the World started
//     (AADSTS7000222).
//
// The admin API manages the tenant under /sim/api/tenant (PUT {"ews_enabled": false}
// blocks EWS), apps under /sim/api/apps (POST an AppSpec; PUT …/{id}/consent,
// …/{id}/scope, …/{id}/permissions; POST …/{id}/secrets; DELETE …/{id}) and Graph's
// throttling under /sim/api/graph/throttle (GraphThrottlePolicy: mailbox_concurrency,
// requests, window_seconds; all off by default). GET /sim/api/graph/subscriptions lists
// the live subscriptions, and POST /sim/api/graph/subscriptions/{id}/lifecycle with
// {"event": "reauthorizationRequired" | "subscriptionRemoved" | "missed"} sends that
// lifecycle notification (Simulator.SendLifecycleNotification).
package exchangesim
