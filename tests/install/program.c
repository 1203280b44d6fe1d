// SPDX-License-Identifier: GPL-2.0-only
/*
 * Built by tools/check-install against the installed libipc-dev alone
 * (`pkg-config --cflags --libs libipc`) and run in the VM against the
 * installed libipc0 and the DKMS-built kipc.ko: a message through a channel
 * and a lock taken and released. Prints one line and exits 0 on success.
 */
#include <libipc.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int fail(const char *what, int err)
{
	fprintf(stderr, "%s: %s\n", what, strerror(-err));
	return 1;
}

int main(void)
{
	struct kipc_channel_params params = { .capacity = 16, .slot_size = 256 };
	static const char msg[] = "hello from an installed libipc";
	struct kipc_channel *ch;
	struct kipc_sync *lock;
	char buf[256];
	ssize_t len;
	int fd, err;

	fd = kipc_channel_create(NULL, &params, 0, 0);	/* anonymous: no mode */
	if (fd < 0)
		return fail("kipc_channel_create", fd);
	err = kipc_channel_attach(fd, &ch);
	if (err)
		return fail("kipc_channel_attach", err);
	err = kipc_channel_put(ch, msg, sizeof(msg), KIPC_NO_DEADLINE);
	if (err)
		return fail("kipc_channel_put", err);
	len = kipc_channel_get(ch, buf, sizeof(buf), KIPC_NO_DEADLINE);
	if (len < 0)
		return fail("kipc_channel_get", (int)len);
	if (len != sizeof(msg) || memcmp(buf, msg, sizeof(msg))) {
		fprintf(stderr, "the message came back changed\n");
		return 1;
	}
	kipc_channel_close(ch);

	err = kipc_lock_create(&lock, NULL, 0, 0);
	if (err)
		return fail("kipc_lock_create", err);
	err = kipc_lock_acquire(lock, KIPC_NO_DEADLINE);
	if (err)
		return fail("kipc_lock_acquire", err);
	err = kipc_lock_release(lock);
	if (err)
		return fail("kipc_lock_release", err);
	kipc_sync_close(lock);

	printf("libipc %d.%d: a message through a channel, a lock taken and released\n",
	       kipc_lib_major(), kipc_lib_minor());
	return 0;
}
