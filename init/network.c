/* The loopback interface: containers sharing the host network namespace
 * (and keel itself) expect 127.0.0.1.  The kernel assigns 127.0.0.1/8 to
 * lo when it comes up; everything else is the containers' business (see
 * containers.d/net). */
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "init/boot.h"
#include "lib/util.h"

int network_loopback_up (struct keel_error **err)
{
	struct ifreq ifr;
	cleanup_close int fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return keel_error (err, errno, "socket");
	memset (&ifr, 0, sizeof ifr);
	strcpy (ifr.ifr_name, "lo");
	if (ioctl (fd, SIOCGIFFLAGS, &ifr) < 0)
		return keel_error (err, errno, "get flags of lo");
	if (ifr.ifr_flags & IFF_UP)
		return 0;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl (fd, SIOCSIFFLAGS, &ifr) < 0)
		return keel_error (err, errno, "bring up lo");
	return 0;
}
