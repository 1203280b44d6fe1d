/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kipc tracepoints (events/kipc/ in tracefs). Ids are the objects' ids in
 * their IPC namespace (struct kipc_stat.id); offsets are byte offsets in
 * the object's memory. Documentation/observability.rst lists them.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM kipc

#if !defined(_KIPC_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _KIPC_TRACE_H

#include <linux/tracepoint.h>

TRACE_EVENT(kipc_object_create,
	    TP_PROTO(u64 id, u32 type, u64 size, u32 uid),
	    TP_ARGS(id, type, size, uid),
	    TP_STRUCT__entry(__field(u64, id)
			     __field(u32, type)
			     __field(u64, size)
			     __field(u32, uid)),
	    TP_fast_assign(__entry->id = id;
			   __entry->type = type;
			   __entry->size = size;
			   __entry->uid = uid;),
	    TP_printk("id=%llu type=%u size=%llu uid=%u",
		      __entry->id, __entry->type, __entry->size, __entry->uid)
);

TRACE_EVENT(kipc_object_destroy,
	    TP_PROTO(u64 id, u32 type),
	    TP_ARGS(id, type),
	    TP_STRUCT__entry(__field(u64, id)
			     __field(u32, type)),
	    TP_fast_assign(__entry->id = id;
			   __entry->type = type;),
	    TP_printk("id=%llu type=%u", __entry->id, __entry->type)
);

TRACE_EVENT(kipc_wait,
	    TP_PROTO(u64 id, u64 offset),
	    TP_ARGS(id, offset),
	    TP_STRUCT__entry(__field(u64, id)
			     __field(u64, offset)),
	    TP_fast_assign(__entry->id = id;
			   __entry->offset = offset;),
	    TP_printk("id=%llu offset=%llu", __entry->id, __entry->offset)
);

TRACE_EVENT(kipc_wait_done,
	    TP_PROTO(u64 id, u64 offset, int result),
	    TP_ARGS(id, offset, result),
	    TP_STRUCT__entry(__field(u64, id)
			     __field(u64, offset)
			     __field(int, result)),
	    TP_fast_assign(__entry->id = id;
			   __entry->offset = offset;
			   __entry->result = result;),
	    TP_printk("id=%llu offset=%llu result=%d",
		      __entry->id, __entry->offset, __entry->result)
);

/* @offset is KIPC_WAITERS_NONE (all ones) for a wake of every sleeper. */

TRACE_EVENT(kipc_wake,
	    TP_PROTO(u64 id, u64 offset, int woken),
	    TP_ARGS(id, offset, woken),
	    TP_STRUCT__entry(__field(u64, id)
			     __field(u64, offset)
			     __field(int, woken)),
	    TP_fast_assign(__entry->id = id;
			   __entry->offset = offset;
			   __entry->woken = woken;),
	    TP_printk("id=%llu offset=%llu woken=%d",
		      __entry->id, __entry->offset, __entry->woken)
);

TRACE_EVENT(kipc_owner_died,
	    TP_PROTO(u64 id, u32 type, u32 owner),
	    TP_ARGS(id, type, owner),
	    TP_STRUCT__entry(__field(u64, id)
			     __field(u32, type)
			     __field(u32, owner)),
	    TP_fast_assign(__entry->id = id;
			   __entry->type = type;
			   __entry->owner = owner;),
	    TP_printk("id=%llu type=%u owner=%u",
		      __entry->id, __entry->type, __entry->owner)
);

TRACE_EVENT(kipc_ring_recover,
	    TP_PROTO(u64 id, u64 ring, u32 dropped, u32 discarded),
	    TP_ARGS(id, ring, dropped, discarded),
	    TP_STRUCT__entry(__field(u64, id)
			     __field(u64, ring)
			     __field(u32, dropped)
			     __field(u32, discarded)),
	    TP_fast_assign(__entry->id = id;
			   __entry->ring = ring;
			   __entry->dropped = dropped;
			   __entry->discarded = discarded;),
	    TP_printk("id=%llu ring=%llu dropped=%u discarded=%u",
		      __entry->id, __entry->ring, __entry->dropped, __entry->discarded)
);

TRACE_EVENT(kipc_quota_refused,
	    TP_PROTO(u32 uid, u64 bytes, int err),
	    TP_ARGS(uid, bytes, err),
	    TP_STRUCT__entry(__field(u32, uid)
			     __field(u64, bytes)
			     __field(int, err)),
	    TP_fast_assign(__entry->uid = uid;
			   __entry->bytes = bytes;
			   __entry->err = err;),
	    TP_printk("uid=%u bytes=%llu err=%d",
		      __entry->uid, __entry->bytes, __entry->err)
);

#endif /* _KIPC_TRACE_H */

/* Out of tree: the header is found next to the file that includes it. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
