//go:build !linux

package loadgen

// FSType names the file system that holds path; on this system it cannot tell.
func FSType(string) string { return "" }
