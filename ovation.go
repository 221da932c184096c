// Package ovation holds config.yaml, the file that lists every setting of
// the server with its default and, in the comment above it, what it does. It
// is embedded so that the server's -h describes each setting in the words
// operators read in the file.
package ovation

import _ "embed"

// ConfigYAML is config.yaml: every setting with its default value, each
// described by the comment block above its key.
//
//go:embed config.yaml
var ConfigYAML []byte
