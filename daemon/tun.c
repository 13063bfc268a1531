/* tun.c - Linux TUN device. */
#include "tun.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "mn_err.h"
#include "offload.h"

#define TUN_CLONE_DEV "/dev/net/tun"

bool tun_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > TUN_NAME_MAX || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.' || c == '=' || c == '+'))
			return false;
	}
	return true;
}

int tun_open(const char *name, int *fd_out, int *ifindex, bool *offload)
{
	struct ifreq ifr;
	int fd, e;

	if (!tun_name_ok(name)) {
		errno = EINVAL;
		return MN_EINVAL;
	}
	fd = open(TUN_CLONE_DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return MN_EIO;
	memset(&ifr, 0, sizeof(ifr));
	/* Every packet carries a virtio_net_hdr (offload.h) both ways. */
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_VNET_HDR;
	memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		e = errno;
		close(fd);
		errno = e;
		if (e == EBUSY)
			return MN_EBUSY;
		if (e == EINVAL) /* the name is held by a link of another kind */
			return MN_EEXIST;
		return MN_EIO;
	}
	/* The name the kernel gave back is the one we asked for (no '%').
	 * SIOCGIFINDEX is a socket ioctl, not one of the TUN fd's. */
	*ifindex = (int)if_nametoindex(ifr.ifr_name);
	if (*ifindex == 0) {
		e = errno;
		close(fd);
		errno = e;
		return MN_EIO;
	}
	int hdr = OFFLOAD_VNET_HDR_LEN;
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return MN_EIO;
	}
	/* TCP segmentation offload: the kernel hands us (and takes from us)
	 * TCP super-packets of up to 64 KiB with partial checksums. Without
	 * it every packet is plain and the header is all zero. */
	*offload = ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6) == 0;
	*fd_out = fd;
	return MN_OK;
}

ssize_t tun_read(int fd, uint8_t *buf, size_t cap)
{
	for (;;) {
		ssize_t n = read(fd, buf, cap);
		if (n > 0)
			return n;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS))
			return 0;
		if (n == 0)
			errno = EIO;
		return errno == EBADFD || errno == EIO || errno == EBADF ? MN_EIO : 0;
	}
}

int tun_write(int fd, const uint8_t *pkt, size_t len)
{
	for (;;) {
		ssize_t n = write(fd, pkt, len);
		if (n >= 0)
			return MN_OK;
		if (errno != EINTR)
			return MN_EIO;
	}
}
