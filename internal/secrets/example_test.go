package secrets_test

import (
	"bytes"
	"fmt"

	"github.com/mailbridge/mailbridge/internal/secrets"
)

// A service-account password is sealed for the row that stores it, and opens only
// there.
func ExampleSealer() {
	key := bytes.Repeat([]byte{0x42}, secrets.KeySize) // in production: secrets.LoadKeyFile
	s, err := secrets.NewSealer(key)
	if err != nil {
		panic(err)
	}
	sealed, err := s.Seal([]byte("Summer2025!"), "organizations.service_password/org=42")
	if err != nil {
		panic(err)
	}
	password, err := s.Open(sealed, "organizations.service_password/org=42")
	fmt.Println(string(password), err)
	_, err = s.Open(sealed, "organizations.service_password/org=43")
	fmt.Println(err)
	// Output:
	// Summer2025! <nil>
	// secrets: open: cannot open sealed value: authentication failed (tampered, or bound to another row)
}

// At login, a password is checked, and its hash replaced when the parameters changed.
func ExampleVerifyPassword() {
	old := secrets.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	stored, err := secrets.HashPassword("correct horse", old)
	if err != nil {
		panic(err)
	}
	ok, needsRehash, err := secrets.VerifyPassword(stored, "correct horse", secrets.DefaultParams())
	fmt.Println(ok, needsRehash, err)
	ok, needsRehash, err = secrets.VerifyPassword(stored, "wrong horse", secrets.DefaultParams())
	fmt.Println(ok, needsRehash, err)
	// Output:
	// true true <nil>
	// false false <nil>
}
