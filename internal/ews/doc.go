// Package ews holds the Exchange Web Services types, the SOAP 1.1 codec and the typed
// errors shared by the EWS client, the EWS server handler and the Exchange simulator.
//
// It does no HTTP. Struct tags name elements with the conventional prefixes that
// Exchange itself writes (s:, m:, t:), so encoding produces the same wire shape as
// Exchange. Decoding reads any prefix: every name is first canonicalized by namespace URI
// (see Decoder), so a document that binds the messages namespace to "foo:" decodes the
// same as one that uses "m:". Elements in an unexpected namespace do not match.
//
// GetItem and SyncFolderItems responses carry hundreds of items, so they have
// hand-written codecs, checked against encoding/xml on random values: fastxml.go writes
// the bytes encoding/xml writes, and fastdecode.go decodes any document it accepts to
// the values encoding/xml gives, leaving the others to encoding/xml.
//
// There is one file per operation (getfolder.go, syncfolderitems.go, …); the client and
// server packages use the same file names.
package ews
