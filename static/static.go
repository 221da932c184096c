// Package static holds the pages Ovation serves (audience, stage, control)
// and their assets, embedded in the binary. It imports nothing of the project.
package static

import "embed"

// Files are the pages and assets, served under /static/ and by page routes.
//
//go:embed *.html *.css *.js kinds/*.js lib/*.js
var Files embed.FS
