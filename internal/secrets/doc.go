// Package secrets keeps mailbridge's secrets safe at rest: the passwords of the service
// accounts that impersonate mailboxes, the passwords of admin logins, and session and
// API tokens. Each kind is stored the way its use demands.
//
// # Service-account passwords: sealed
//
// mailbridge must send a service-account password to Exchange, so it must be able to
// read it back: it is encrypted, not hashed. A [Sealer] encrypts it with AES-256-GCM
// under the master key. A sealed value is
//
//	version (1 byte) | key id (4 bytes) | nonce (12 bytes) | ciphertext and GCM tag
//
// The key id is the first four bytes of the SHA-256 of the key, so that [Sealer.Open]
// picks the right key while keys are rotated, and so that it can name a missing key
// without revealing it. The nonce is random; with random 96-bit nonces one key seals
// billions of values before a nonce is likely to repeat, far more than mailbridge stores.
//
// Every sealed value is bound to the row that stores it by additional authenticated
// data (AAD): a string naming the table, the column and the owner's key, such as
// "organizations.service_password/org=42". The AAD is not stored, only authenticated;
// opening with another AAD fails. So a sealed password copied — by a bug, a mistaken
// migration or someone with write access to the database — from one organization's row
// to another's does not open there, and cannot make one organization's mailboxes be
// reached with another organization's credentials. The version byte and key id are
// authenticated too.
//
// # The master key
//
// The master key is 32 random bytes, kept outside the database: given as a value (64
// hex characters or base64, see [LoadKey]) or in a file that only its owner can read
// (see [LoadKeyFile] and [GenerateKeyFile]). A database dump without the key reveals no
// password. To rotate, make a new key primary and pass the old one as previous to
// [NewSealer]; values sealed under the old key still open, [Sealer.NeedsReseal] finds
// them, and they are sealed again under the new key until the old key can be dropped.
// Key material never appears in error text or in a Sealer's printed form.
//
// # Admin passwords: hashed with argon2id
//
// An admin password only needs checking, so only a slow, salted, memory-hard hash of
// it is stored: argon2id, in the PHC string format of the reference implementation
// ("$argon2id$v=19$m=65536,t=3,p=4$salt$hash"), with the parameters RFC 9106
// recommends for memory-constrained settings (see [DefaultParams]). [VerifyPassword]
// parses stored hashes strictly and refuses absurd parameters, so that a crafted hash
// cannot make a login exhaust memory or CPU; it also says when a hash was made with
// other parameters than today's, so that it can be replaced at the next login.
//
// # Session and API tokens: random, stored as SHA-256
//
// Tokens are 256 random bits ([NewToken]). The database keeps only their SHA-256
// ([HashToken]), compared in constant time ([EqualHash]), so a database dump cannot be
// replayed as logins. A fast hash suffices here, unlike for passwords: a token has too
// much entropy to be guessed from its hash.
package secrets
