// SPDX-License-Identifier: GPL-2.0-only
/*
 * kipc: type names and the output helpers, text and JSON, of every
 * subcommand. tests/lib/cli_test.c includes this file to test them.
 */

#define _GNU_SOURCE
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "kipc.h"

static const char *const type_names[] = {
	[KIPC_TYPE_SHM] = "shm",
	[KIPC_TYPE_CHANNEL] = "channel",
	[KIPC_TYPE_SEMAPHORE] = "semaphore",
	[KIPC_TYPE_LOCK] = "lock",
	[KIPC_TYPE_RLOCK] = "rlock",
	[KIPC_TYPE_EVENT] = "event",
	[KIPC_TYPE_BARRIER] = "barrier",
	[KIPC_TYPE_CONDITION] = "condition",
	[KIPC_TYPE_PIPE] = "pipe",
};

#define NTYPES	(sizeof(type_names) / sizeof(type_names[0]))

const char *type_name(uint32_t type)
{
	return type < NTYPES && type_names[type] ? type_names[type] : "unknown";
}

uint32_t type_from_name(const char *s)
{
	uint32_t t;

	for (t = 1; t < NTYPES; t++)
		if (type_names[t] && !strcmp(s, type_names[t]))
			return t;
	return 0;
}

bool is_sync(uint32_t type)
{
	return type >= KIPC_TYPE_SEMAPHORE && type <= KIPC_TYPE_CONDITION;
}

/* Rings in st->u.ring: a channel's one, a pipe's one or two. */
unsigned int ring_count(const struct kipc_stat *st)
{
	if (st->type == KIPC_TYPE_CHANNEL)
		return 1;
	if (st->type == KIPC_TYPE_PIPE)
		return st->params.channel.flags & KIPC_PIPE_DUPLEX ? 2 : 1;
	return 0;
}

/* The name's bytes: at most name_len, never past the array. */
size_t name_len(const struct kipc_stat *st)
{
	size_t max = st->name_len < KIPC_NAME_MAX ? st->name_len : KIPC_NAME_MAX;

	return strnlen(st->name, max);
}

/*
 * A name for people: bytes below 0x20, from 0x7f on, and the backslash as
 * \xHH, so that whatever a name holds prints as one line of ASCII.
 */
void put_name(FILE *f, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c < 0x20 || c >= 0x7f || c == '\\')
			fprintf(f, "\\x%02x", c);
		else
			putc(c, f);
	}
}

/*
 * A JSON string of ASCII only: the quote and backslash escaped, control
 * characters and every byte from 0x7f on as \u00XX (one code point per
 * byte: a reader gets the bytes back by encoding the string as Latin-1).
 */
static void json_str(FILE *f, const char *s, size_t len)
{
	size_t i;

	putc('"', f);
	for (i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			putc(c, f);
	}
	putc('"', f);
}

void json_cstr(FILE *f, const char *s)
{
	json_str(f, s, strlen(s));
}

static void json_ring(FILE *f, const struct kipc_ring_stat *r)
{
	fprintf(f, "{\"queued\":%llu,\"queued_bytes\":%llu,\"puts\":%llu,"
		"\"gets\":%llu,\"dropped\":%llu,\"discarded\":%llu,"
		"\"recoveries\":%llu,\"buffers\":%llu,\"buffer_bytes\":%llu,"
		"\"get_waiters\":%u,\"put_waiters\":%u,\"closed\":%u}",
		r->queued, r->queued_bytes, r->puts, r->gets, r->dropped,
		r->discarded, r->recoveries, r->buffers, r->buffer_bytes,
		r->get_waiters, r->put_waiters, r->closed);
}

/* One object, with the keys of kipc.stats() in Python. */
void json_stat(FILE *f, const struct kipc_stat *st)
{
	unsigned int i, n = ring_count(st);

	fprintf(f, "{\"id\":%llu,\"type\":", st->id);
	json_cstr(f, type_name(st->type));
	fprintf(f, ",\"flags\":%u,\"uid\":%u,\"gid\":%u,\"mode\":%u,\"name\":",
		st->flags, st->uid, st->gid, st->mode);
	json_str(f, st->name, name_len(st));
	fprintf(f, ",\"ctime_ns\":%llu,\"size\":%llu,\"kmem\":%llu,"
		"\"mappings\":%u,\"sleepers\":%u,\"uring_pending\":%u,"
		"\"waits\":%llu,\"wakes\":%llu",
		st->ctime_ns, st->size, st->kmem, st->mappings, st->sleepers,
		st->uring_pending, st->waits, st->wakes);
	if (n) {
		fputs(",\"rings\":[", f);
		for (i = 0; i < n; i++) {
			if (i)
				putc(',', f);
			json_ring(f, &st->u.ring[i]);
		}
		putc(']', f);
	} else if (is_sync(st->type)) {
		const struct kipc_sync_stat *s = &st->u.sync;

		fprintf(f, ",\"sync\":{\"value\":%u,\"holder\":%u,\"waiters\":%u,"
			"\"flags\":%u,\"owner_died\":%llu,\"recoveries\":%llu}",
			s->value, s->holder, s->waiters, s->flags, s->owner_died,
			s->recoveries);
	}
	putc('}', f);
}

/* A short type-specific state for ls and top, in @buf. */
void summary(const struct kipc_stat *st, char *buf, size_t size)
{
	const struct kipc_sync_stat *s = &st->u.sync;
	const struct kipc_ring_stat *r = st->u.ring;
	size_t n = 0;

	switch (st->type) {
	case KIPC_TYPE_CHANNEL:
		snprintf(buf, size, "queued=%llu waiters=%u/%u", r[0].queued,
			 r[0].get_waiters, r[0].put_waiters);
		return;
	case KIPC_TYPE_PIPE:
		if (ring_count(st) == 2)
			n = snprintf(buf, size, "queued=%llu/%llu", r[0].queued,
				     r[1].queued);
		else
			n = snprintf(buf, size, "queued=%llu", r[0].queued);
		if (n < size && (r[0].closed || (ring_count(st) == 2 && r[1].closed)))
			snprintf(buf + n, size - n, " closed");
		return;
	case KIPC_TYPE_SEMAPHORE:
		snprintf(buf, size, "value=%u waiters=%u", s->value, s->waiters);
		return;
	case KIPC_TYPE_LOCK:
	case KIPC_TYPE_RLOCK:
		n = snprintf(buf, size, "value=%u holder=%u waiters=%u",
			     s->value, s->holder, s->waiters);
		if (n < size && (s->flags & KIPC_SYNC_STAT_DIED))
			snprintf(buf + n, size - n, " died");
		return;
	case KIPC_TYPE_EVENT:
		snprintf(buf, size, "%s waiters=%u",
			 s->flags & KIPC_SYNC_STAT_SET ? "set" : "clear",
			 s->waiters);
		return;
	case KIPC_TYPE_BARRIER:
		n = snprintf(buf, size, "waiting=%u/%u", s->value,
			     st->params.sync.parties);
		if (n < size && (s->flags & KIPC_SYNC_STAT_BROKEN))
			snprintf(buf + n, size - n, " broken");
		return;
	case KIPC_TYPE_CONDITION:
		snprintf(buf, size, "pending=%u waiters=%u", s->value, s->waiters);
		return;
	default:
		snprintf(buf, size, "-");
	}
}

void owner_name(uint32_t uid, char *buf, size_t size)
{
	struct passwd *pw = getpwuid(uid);

	if (pw)
		snprintf(buf, size, "%s", pw->pw_name);
	else
		snprintf(buf, size, "%u", uid);
}

void group_name(uint32_t gid, char *buf, size_t size)
{
	struct group *gr = getgrgid(gid);

	if (gr)
		snprintf(buf, size, "%s", gr->gr_name);
	else
		snprintf(buf, size, "%u", gid);
}
