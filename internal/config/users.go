package config

// ProfileField declares one custom profile field of an app:
// Tag_Profile_Custom_<Key> (rest-users.md S4).
type ProfileField struct {
	// Key is the keyword after the prefix: English letters, at most 8.
	Key string `json:"key"`
	// Kind is "string" or "bytes"; values are at most 500 bytes either way.
	Kind string `json:"kind"`
	// Read and Write say who may read and write the field: "admin" (the
	// REST API) and "user" (the account's own clients; reading: any
	// logged-in user). Empty means both.
	Read  []string `json:"read,omitempty"`
	Write []string `json:"write,omitempty"`
}
