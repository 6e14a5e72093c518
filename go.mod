module github.com/mailbridge/mailbridge

go 1.26

require github.com/Azure/go-ntlmssp v0.1.1
