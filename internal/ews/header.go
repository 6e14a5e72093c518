package ews

// RequestServerVersion is the t:RequestServerVersion SOAP header: the schema version the
// client speaks. Exchange 2010 and later require it.
type RequestServerVersion struct {
	Version string `xml:"Version,attr"`
}

// Known request schema versions, oldest first (ExchangeVersionType in types.xsd).
var requestVersions = [...]string{
	"Exchange2007", "Exchange2007_SP1", "Exchange2009", "Exchange2010", "Exchange2010_SP1",
	"Exchange2010_SP2", "Exchange2012", "Exchange2013", "Exchange2013_SP1", "Exchange2015",
	"Exchange2016", "V2015_10_05", "V2016_01_06", "V2016_04_13", "V2016_07_13",
	"V2016_10_10", "V2017_01_07", "V2017_04_14", "V2017_07_11", "V2017_10_09",
	"V2018_01_08",
}

// ValidRequestVersion reports whether v is a RequestServerVersion value the schema allows.
func ValidRequestVersion(v string) bool {
	for _, k := range requestVersions {
		if k == v {
			return true
		}
	}
	return false
}

// ExchangeImpersonation is the t:ExchangeImpersonation SOAP header: the caller acts as the
// mailbox named in ConnectingSID.
type ExchangeImpersonation struct {
	ConnectingSID ConnectingSID `xml:"t:ConnectingSID"`
}

// ConnectingSID names the impersonated account. Exactly one field may be set.
type ConnectingSID struct {
	PrincipalName      string `xml:"t:PrincipalName,omitempty"`
	SID                string `xml:"t:SID,omitempty"`
	PrimarySmtpAddress string `xml:"t:PrimarySmtpAddress,omitempty"`
	SmtpAddress        string `xml:"t:SmtpAddress,omitempty"`
}

// Count returns how many identifiers are set; a valid header has exactly one.
func (c ConnectingSID) Count() int {
	n := 0
	for _, s := range [...]string{c.PrincipalName, c.SID, c.PrimarySmtpAddress, c.SmtpAddress} {
		if s != "" {
			n++
		}
	}
	return n
}

// Impersonate returns the header that impersonates the mailbox with the given primary SMTP
// address, the form Microsoft recommends.
func Impersonate(smtp string) *ExchangeImpersonation {
	return &ExchangeImpersonation{ConnectingSID: ConnectingSID{PrimarySmtpAddress: smtp}}
}

// TimeZoneContext is the optional t:TimeZoneContext header.
type TimeZoneContext struct {
	TimeZoneDefinition struct {
		ID   string `xml:"Id,attr,omitempty"`
		Name string `xml:"Name,attr,omitempty"`
	} `xml:"t:TimeZoneDefinition"`
}

// RequestHeader holds the SOAP headers of a request. Unknown headers are ignored.
type RequestHeader struct {
	RequestServerVersion  *RequestServerVersion  `xml:"t:RequestServerVersion"`
	ExchangeImpersonation *ExchangeImpersonation `xml:"t:ExchangeImpersonation"`
	MailboxCulture        string                 `xml:"t:MailboxCulture,omitempty"`
	TimeZoneContext       *TimeZoneContext       `xml:"t:TimeZoneContext"`
	DateTimePrecision     string                 `xml:"t:DateTimePrecision,omitempty"`
}

// ServerVersionInfo is the h:ServerVersionInfo header of every non-fault response.
type ServerVersionInfo struct {
	MajorVersion     int    `xml:"MajorVersion,attr"`
	MinorVersion     int    `xml:"MinorVersion,attr"`
	MajorBuildNumber int    `xml:"MajorBuildNumber,attr"`
	MinorBuildNumber int    `xml:"MinorBuildNumber,attr"`
	Version          string `xml:"Version,attr"`
}

// Exchange2016 is the ServerVersionInfo of Exchange Server 2016 CU23.
var Exchange2016 = ServerVersionInfo{MajorVersion: 15, MinorVersion: 1, MajorBuildNumber: 2507, MinorBuildNumber: 6, Version: "V2017_07_11"}

// Exchange2019 is the ServerVersionInfo of Exchange Server 2019 CU14.
var Exchange2019 = ServerVersionInfo{MajorVersion: 15, MinorVersion: 2, MajorBuildNumber: 1544, MinorBuildNumber: 4, Version: "V2017_07_11"}
