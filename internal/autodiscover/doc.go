// Package autodiscover holds the Exchange Autodiscover wire types and their codecs, for
// the three protocols Exchange 2016/2019 serve:
//
//   - POX ("plain old XML", pox.go): POST …/autodiscover/autodiscover.xml with the
//     Outlook request schema; the answer is settings, redirectAddr, redirectUrl or an
//     Error with a numeric code.
//   - SOAP (soap.go): POST …/autodiscover/autodiscover.svc, GetUserSettings and
//     GetDomainSettings with WS-Addressing headers.
//   - JSON v2 (json.go): anonymous GET …/autodiscover/autodiscover.json/v1.0/<email>.
//
// It does no HTTP. Every shape has an Encode and a Decode function so that the same
// types serve a client (encode requests, decode responses) and a server (decode
// requests, encode responses).
//
// Encoders write the prefixes and namespace declarations Exchange writes (see the
// examples in third_party/ews-schema/examples/autodiscover). Decoders match elements by
// namespace URI and local name, so any prefix, or a default namespace, is accepted;
// elements in another namespace are ignored.
//
// Decoders read until the end of the document and do not limit its size: the caller
// passes a bounded reader (http.MaxBytesReader on a server, io.LimitReader on a client).
// An error from that reader is returned wrapped, unchanged, so errors.As still finds an
// *http.MaxBytesError; every error caused by the document itself wraps ErrMalformed.
package autodiscover
