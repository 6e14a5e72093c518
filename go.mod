module github.com/mailbridge/mailbridge

go 1.26
