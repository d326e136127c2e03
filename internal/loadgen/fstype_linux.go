package loadgen

import "syscall"

// FSType names the file system that holds path ("ext4", "tmpfs"...), or returns ""
// when it cannot tell. Durable commits cost what the file system's fsync costs: on
// tmpfs they cost nothing.
func FSType(path string) string {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return ""
	}
	switch uint64(st.Type) {
	case 0xef53:
		return "ext4"
	case 0x58465342:
		return "xfs"
	case 0x9123683e:
		return "btrfs"
	case 0x01021994:
		return "tmpfs"
	case 0x794c7630:
		return "overlayfs"
	case 0x2fc12fc1:
		return "zfs"
	case 0x6969:
		return "nfs"
	case 0x65735546:
		return "fuse"
	case 0xf15f:
		return "ecryptfs"
	}
	return ""
}
