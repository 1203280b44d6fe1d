// SPDX-License-Identifier: MIT
/*
 * kipc._speedups: the hot paths of kipc.synchronize and of the queues'
 * channels (single and batched) without ctypes; the C bases ChannelCore
 * (kipc.queues.Channel) and QueueCore (Queue, SimpleQueue).
 *
 * This module does not link libipc. kipc._lib loads libipc once, with
 * ctypes, and hands bind() the addresses of the functions below; every call
 * here goes to that same copy. A second, statically linked copy would have
 * its own fork generation and thread-id cache (lib/sync.c), which must be
 * the ones of the copy that created the handle.
 *
 * Handles are struct kipc_sync pointers passed as integers. The functions
 * return libipc's int result; kipc.synchronize maps errors exactly as on the
 * ctypes path. Blocking calls first try without blocking, holding the GIL,
 * and release the GIL only to sleep; -EINTR is retried after the Python
 * signal handlers have run (PEP 475), as kipc._util.call does.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>

#include "libipc.h"

typedef int (*sync_fn)(struct kipc_sync *);
typedef int (*sync_wait_fn)(struct kipc_sync *, __u64);
typedef int (*sync_n_fn)(struct kipc_sync *, __u32);
typedef int (*chan_put_fn)(struct kipc_channel *, const void *, size_t, __u64);
typedef ssize_t (*chan_get_fn)(struct kipc_channel *, void *, size_t, __u64);
typedef int (*chan_put_many_fn)(struct kipc_channel *, const struct iovec *,
				unsigned int, __u64);
typedef int (*chan_get_many_fn)(struct kipc_channel *, struct iovec *,
				unsigned int, __u64);

/* The order of NAMES and of bind()'s arguments. */
static const char *const names[] = {
	"kipc_lock_acquire", "kipc_lock_try_acquire", "kipc_lock_release",
	"kipc_rlock_acquire", "kipc_rlock_try_acquire", "kipc_rlock_release",
	"kipc_sem_acquire", "kipc_sem_try_acquire", "kipc_sem_release",
	"kipc_event_set", "kipc_event_is_set",
	"kipc_channel_put", "kipc_channel_get",
	"kipc_channel_put_many", "kipc_channel_get_many",
};
#define NFUNCS (sizeof(names) / sizeof(names[0]))

static struct {
	sync_wait_fn lock_acquire;
	sync_fn lock_try;
	sync_fn lock_release;
	sync_wait_fn rlock_acquire;
	sync_fn rlock_try;
	sync_fn rlock_release;
	sync_wait_fn sem_acquire;
	sync_fn sem_try;
	sync_n_fn sem_release;
	sync_fn event_set;
	sync_fn event_is_set;
	chan_put_fn chan_put;
	chan_get_fn chan_get;
	chan_put_many_fn chan_put_many;
	chan_get_many_fn chan_get_many;
} fn;

static int bound;

static PyObject *sp_bind(PyObject *self, PyObject *const *args,
			 Py_ssize_t nargs)
{
	void *addr[NFUNCS];
	size_t i;

	(void)self;
	if (nargs != (Py_ssize_t)NFUNCS) {
		PyErr_Format(PyExc_TypeError, "bind() takes %zu addresses",
			     (size_t)NFUNCS);
		return NULL;
	}
	for (i = 0; i < NFUNCS; i++) {
		addr[i] = PyLong_AsVoidPtr(args[i]);
		if (!addr[i]) {
			if (!PyErr_Occurred())
				PyErr_Format(PyExc_ValueError,
					     "bind(): %s is NULL", names[i]);
			return NULL;
		}
	}
	/* Object pointers to function pointers: POSIX dlsym() semantics. */
	i = 0;
#define TAKE(field) memcpy(&fn.field, &addr[i++], sizeof(fn.field))
	TAKE(lock_acquire);
	TAKE(lock_try);
	TAKE(lock_release);
	TAKE(rlock_acquire);
	TAKE(rlock_try);
	TAKE(rlock_release);
	TAKE(sem_acquire);
	TAKE(sem_try);
	TAKE(sem_release);
	TAKE(event_set);
	TAKE(event_is_set);
	TAKE(chan_put);
	TAKE(chan_get);
	TAKE(chan_put_many);
	TAKE(chan_get_many);
#undef TAKE
	bound = 1;
	Py_RETURN_NONE;
}

static int not_bound(void)
{
	if (bound)
		return 0;
	PyErr_SetString(PyExc_RuntimeError,
			"kipc._speedups: bind() was not called");
	return 1;
}

static int nargs_bad(const char *what, Py_ssize_t nargs, Py_ssize_t n)
{
	if (nargs == n)
		return 0;
	PyErr_Format(PyExc_TypeError, "%s() takes %zd arguments (%zd given)",
		     what, n, nargs);
	return 1;
}

static int get_handle(PyObject *arg, struct kipc_sync **out)
{
	*out = PyLong_AsVoidPtr(arg);
	if (*out)
		return 0;
	if (!PyErr_Occurred())
		PyErr_SetString(PyExc_ValueError, "kipc: NULL handle");
	return -1;
}

static int get_u64(PyObject *arg, __u64 *out)
{
	unsigned long long v = PyLong_AsUnsignedLongLong(arg);

	if (v == (unsigned long long)-1 && PyErr_Occurred())
		return -1;
	*out = v;
	return 0;
}

/* try; then, unless that settled it, sleep with the GIL released. */
static PyObject *acquire(PyObject *const *args, Py_ssize_t nargs,
			 const char *what, sync_fn try_fn,
			 sync_wait_fn wait_fn)
{
	struct kipc_sync *h;
	__u64 dl;
	int ret;

	if (nargs_bad(what, nargs, 2) || not_bound() ||
	    get_handle(args[0], &h) || get_u64(args[1], &dl))
		return NULL;
	ret = try_fn(h);
	if (ret != -EAGAIN || dl == KIPC_NOWAIT)
		return PyLong_FromLong(ret);
	for (;;) {
		Py_BEGIN_ALLOW_THREADS
		ret = wait_fn(h, dl);
		Py_END_ALLOW_THREADS
		if (ret != -EINTR)
			return PyLong_FromLong(ret);
		if (PyErr_CheckSignals())
			return NULL;
	}
}

static PyObject *simple(PyObject *const *args, Py_ssize_t nargs,
			const char *what, sync_fn f)
{
	struct kipc_sync *h;

	if (nargs_bad(what, nargs, 1) || not_bound() ||
	    get_handle(args[0], &h))
		return NULL;
	return PyLong_FromLong(f(h));
}

#define ACQUIRE(name, kind)						\
static PyObject *sp_##name(PyObject *self, PyObject *const *args,	\
			   Py_ssize_t nargs)				\
{									\
	(void)self;							\
	return acquire(args, nargs, #name, fn.kind##_try,		\
		       fn.kind##_acquire);				\
}
#define SIMPLE(name, field)						\
static PyObject *sp_##name(PyObject *self, PyObject *const *args,	\
			   Py_ssize_t nargs)				\
{									\
	(void)self;							\
	return simple(args, nargs, #name, fn.field);			\
}

ACQUIRE(sem_acquire, sem)
SIMPLE(event_set, event_set)
SIMPLE(event_is_set, event_is_set)

/* Channel handles are struct kipc_channel pointers, as integers. */
static int get_channel(PyObject *arg, struct kipc_channel **out)
{
	*out = PyLong_AsVoidPtr(arg);
	if (*out)
		return 0;
	if (!PyErr_Occurred())
		PyErr_SetString(PyExc_ValueError, "kipc: NULL channel handle");
	return -1;
}

/* channel_get_into() result: a Python exception is set. */
#define PYERR	PY_SSIZE_T_MIN

/* One get into a new bytes object of @size: its result, *out on success. */
static ssize_t channel_get_into(struct kipc_channel *ch, Py_ssize_t size,
				__u64 dl, PyObject **out)
{
	PyObject *b = PyBytes_FromStringAndSize(NULL, size);
	ssize_t n;

	if (!b)
		return PYERR;
	n = fn.chan_get(ch, PyBytes_AS_STRING(b), size, KIPC_NOWAIT);
	while (n == -EAGAIN && dl != KIPC_NOWAIT) {
		Py_BEGIN_ALLOW_THREADS
		n = fn.chan_get(ch, PyBytes_AS_STRING(b), size, dl);
		Py_END_ALLOW_THREADS
		if (n != -EINTR)
			break;
		if (PyErr_CheckSignals()) {
			Py_DECREF(b);
			return PYERR;
		}
		n = -EAGAIN;
	}
	if (n < 0) {
		Py_DECREF(b);
		return n;
	}
	if (n != size && _PyBytes_Resize(&b, n))
		return PYERR;
	*out = b;
	return n;
}

/*
 * One message as bytes, or a negative errno as an int. A message larger
 * than a slot is retried with a buffer grown by 8 up to max_msg, as
 * kipc.queues.Channel.get does on the ctypes path.
 */
static PyObject *channel_get_grow(struct kipc_channel *ch, __u64 slot,
				  __u64 max, __u64 dl)
{
	Py_ssize_t size = (Py_ssize_t)slot;
	PyObject *out = NULL;
	ssize_t n;

	for (;;) {
		n = channel_get_into(ch, size, dl, &out);
		if (n != -EMSGSIZE || (__u64)size >= max)
			break;
		size = (__u64)size > max / 8 ? (Py_ssize_t)max : size * 8;
	}
	if (n == PYERR)
		return NULL;
	return out ? out : PyLong_FromSsize_t(n);
}

static int bad_sizes(const char *what, __u64 slot, __u64 max)
{
	if (slot && slot <= max && max <= PY_SSIZE_T_MAX)
		return 0;
	PyErr_Format(PyExc_ValueError, "%s: bad sizes", what);
	return 1;
}

/*
 * channel_put_many(handle, datas, deadline_ns) -> int: how many of the
 * bytes-like objects in the sequence datas were put, from the start, in
 * one kipc_channel_put_many call (it sleeps only for the first), or a
 * negative errno when none was.
 */
static PyObject *sp_channel_put_many(PyObject *self, PyObject *const *args,
				     Py_ssize_t nargs)
{
	struct kipc_channel *ch;
	PyObject *seq, **items, *res = NULL;
	struct iovec *iov = NULL;
	Py_buffer *views = NULL;
	Py_ssize_t n, i, held = 0;
	__u64 dl;
	int ret;

	(void)self;
	if (nargs_bad("channel_put_many", nargs, 3) || not_bound() ||
	    get_channel(args[0], &ch) || get_u64(args[2], &dl))
		return NULL;
	seq = PySequence_Fast(args[1], "channel_put_many: datas must be a "
				       "sequence");
	if (!seq)
		return NULL;
	/* More than fit the result: a partial batch, as the ring may make. */
	n = PySequence_Fast_GET_SIZE(seq);
	if (n > INT_MAX)
		n = INT_MAX;
	if (!n) {
		Py_DECREF(seq);
		return PyLong_FromLong(0);
	}
	items = PySequence_Fast_ITEMS(seq);
	views = PyMem_New(Py_buffer, n);
	iov = PyMem_New(struct iovec, n);
	if (!views || !iov) {
		PyErr_NoMemory();
		goto out;
	}
	/* The views keep every buffer alive while the GIL is released. */
	for (; held < n; held++) {
		if (PyObject_GetBuffer(items[held], &views[held],
				       PyBUF_SIMPLE))
			goto out;
		iov[held].iov_base = views[held].buf;
		iov[held].iov_len = views[held].len;
	}
	ret = fn.chan_put_many(ch, iov, (unsigned int)n, KIPC_NOWAIT);
	while (ret == -EAGAIN && dl != KIPC_NOWAIT) {
		Py_BEGIN_ALLOW_THREADS
		ret = fn.chan_put_many(ch, iov, (unsigned int)n, dl);
		Py_END_ALLOW_THREADS
		if (ret != -EINTR)
			break;
		if (PyErr_CheckSignals())
			goto out;
		ret = -EAGAIN;
	}
	res = PyLong_FromLong(ret);
out:
	for (i = 0; i < held; i++)
		PyBuffer_Release(&views[i]);
	PyMem_Free(views);
	PyMem_Free(iov);
	Py_DECREF(seq);
	return res;
}

/* The messages kipc_channel_get_many left in @iov, as a list of bytes. */
static PyObject *messages(const struct iovec *iov, int got)
{
	PyObject *list = PyList_New(got);
	int i;

	if (!list)
		return NULL;
	for (i = 0; i < got; i++) {
		PyObject *b = PyBytes_FromStringAndSize(iov[i].iov_base,
							iov[i].iov_len);

		if (!b) {
			Py_DECREF(list);
			return NULL;
		}
		PyList_SET_ITEM(list, i, b);
	}
	return list;
}

/*
 * channel_get_many(handle, n, slot_size, max_msg, deadline_ns) -> list of
 * bytes or int: waits (as ChannelCore.get) for the first message, then takes
 * up to n - 1 more that are queued, in one kipc_channel_get_many call. A
 * first message larger than a slot comes alone (as ChannelCore.get takes it).
 */
static PyObject *sp_channel_get_many(PyObject *self, PyObject *const *args,
				     Py_ssize_t nargs)
{
	struct kipc_channel *ch;
	struct iovec *iov = NULL;
	PyObject *res = NULL;
	__u64 n, slot, max, dl, i;
	char *buf = NULL;
	int ret;

	(void)self;
	if (nargs_bad("channel_get_many", nargs, 5) || not_bound() ||
	    get_channel(args[0], &ch) || get_u64(args[1], &n) ||
	    get_u64(args[2], &slot) || get_u64(args[3], &max) ||
	    get_u64(args[4], &dl) || bad_sizes("channel_get_many", slot, max))
		return NULL;
	if (!n || n > INT_MAX || slot > PY_SSIZE_T_MAX / n ||
	    n > PY_SSIZE_T_MAX / sizeof(struct iovec)) {
		PyErr_SetString(PyExc_ValueError, "channel_get_many: bad count");
		return NULL;
	}
	/* One slot per message; the kernel's ring never holds more. */
	buf = PyMem_RawMalloc(n * slot);
	iov = PyMem_RawMalloc(n * sizeof(*iov));
	if (!buf || !iov) {
		PyErr_NoMemory();
		goto out;
	}
	for (i = 0; i < n; i++) {
		iov[i].iov_base = buf + i * slot;
		iov[i].iov_len = slot;
	}
	ret = fn.chan_get_many(ch, iov, (unsigned int)n, KIPC_NOWAIT);
	while (ret == -EAGAIN && dl != KIPC_NOWAIT) {
		Py_BEGIN_ALLOW_THREADS
		ret = fn.chan_get_many(ch, iov, (unsigned int)n, dl);
		Py_END_ALLOW_THREADS
		if (ret != -EINTR)
			break;
		if (PyErr_CheckSignals())
			goto out;
		ret = -EAGAIN;
	}
	if (ret >= 0) {
		res = messages(iov, ret);
	} else if (ret == -EMSGSIZE) {
		/* Still queued; the deadline may not have passed yet. */
		PyObject *one = channel_get_grow(ch, slot, max, dl);

		if (one && PyBytes_Check(one)) {
			res = PyList_New(1);
			if (res)
				PyList_SET_ITEM(res, 0, one);
			else
				Py_DECREF(one);
		} else {
			res = one;
		}
	} else {
		res = PyLong_FromLong(ret);
	}
out:
	PyMem_RawFree(buf);
	PyMem_RawFree(iov);
	return res;
}

static PyObject *sp_sem_release(PyObject *self, PyObject *const *args,
				Py_ssize_t nargs)
{
	struct kipc_sync *h;
	unsigned long n;

	(void)self;
	if (nargs_bad("sem_release", nargs, 2) ||
	    not_bound() || get_handle(args[0], &h))
		return NULL;
	n = PyLong_AsUnsignedLong(args[1]);
	if (n == (unsigned long)-1 && PyErr_Occurred())
		return NULL;
	if (n > UINT32_MAX) {
		PyErr_SetString(PyExc_OverflowError, "n does not fit in 32 bits");
		return NULL;
	}
	return PyLong_FromLong(fn.sem_release(h, (__u32)n));
}

/*
 * LockCore: the C base class of kipc.synchronize's Lock and RLock when this
 * module is in use. acquire, release, __enter__ and __exit__ are C methods
 * of the type, so that `with lock:` (which looks them up on the type) and
 * lock.acquire() run no Python frame on the uncontended path.
 *
 * The subclass binds the handle once (_sp_bind) and owns it: it closes it
 * when the lock object goes away, and every bound method holds the object.
 * A result that is no plain "not acquired" goes to the Python methods
 * _c_acquire_failed and _c_release_failed, which map errors and owner
 * death exactly as the ctypes path does.
 */
typedef struct {
	PyObject_HEAD
	struct kipc_sync *h;
	sync_fn try_fn;
	sync_wait_fn wait_fn;
	sync_fn release_fn;
	PyObject *deadline;	/* deadline(block, timeout) -> int */
} LockCore;

/* _sp_bind(handle, rlock, deadline): once, before any other method. */
static PyObject *lockcore_bind(PyObject *op, PyObject *const *args,
			       Py_ssize_t nargs)
{
	LockCore *self = (LockCore *)op;
	struct kipc_sync *h;
	int rlock;

	if (nargs_bad("_sp_bind", nargs, 3) || not_bound() ||
	    get_handle(args[0], &h))
		return NULL;
	rlock = PyObject_IsTrue(args[1]);
	if (rlock < 0)
		return NULL;
	if (self->h) {
		PyErr_SetString(PyExc_RuntimeError, "kipc: lock already bound");
		return NULL;
	}
	self->h = h;
	self->try_fn = rlock ? fn.rlock_try : fn.lock_try;
	self->wait_fn = rlock ? fn.rlock_acquire : fn.lock_acquire;
	self->release_fn = rlock ? fn.rlock_release : fn.lock_release;
	Py_INCREF(args[2]);
	Py_XSETREF(self->deadline, args[2]);
	Py_RETURN_NONE;
}

static int lockcore_unbound(LockCore *self)
{
	if (self->h)
		return 0;
	PyErr_SetString(PyExc_ValueError, "kipc: the lock has no handle");
	return 1;
}

/* Try; then, unless that settled it, sleep with the GIL released. */
static PyObject *lockcore_take(LockCore *self, __u64 dl)
{
	int ret;

	ret = self->try_fn(self->h);
	if (ret == -EAGAIN && dl != KIPC_NOWAIT) {
		for (;;) {
			Py_BEGIN_ALLOW_THREADS
			ret = self->wait_fn(self->h, dl);
			Py_END_ALLOW_THREADS
			if (ret != -EINTR)
				break;
			if (PyErr_CheckSignals())
				return NULL;
		}
	}
	if (ret == 0)
		Py_RETURN_TRUE;
	/* Not acquired in time: as _LockBase._acquire_failed says. */
	if (ret == -EAGAIN || ret == -ETIMEDOUT || ret == -EBUSY)
		Py_RETURN_FALSE;
	return PyObject_CallMethod((PyObject *)self, "_c_acquire_failed", "i",
				   ret);
}

/* acquire(block=True, timeout=None) */
static PyObject *lockcore_acquire(PyObject *op, PyObject *const *args,
				  size_t nargsf, PyObject *kwnames)
{
	LockCore *self = (LockCore *)op;
	Py_ssize_t nargs = PyVectorcall_NARGS(nargsf), i, nkw;
	PyObject *block = Py_True, *timeout = Py_None, *r;
	__u64 dl;
	int ret;

	if (lockcore_unbound(self))
		return NULL;
	nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
	if (nargs > 2) {
		PyErr_SetString(PyExc_TypeError,
				"acquire() takes at most 2 arguments");
		return NULL;
	}
	if (nargs > 0)
		block = args[0];
	if (nargs > 1)
		timeout = args[1];
	for (i = 0; i < nkw; i++) {
		PyObject *k = PyTuple_GET_ITEM(kwnames, i);

		if (nargs < 1 && PyUnicode_CompareWithASCIIString(k, "block") == 0) {
			block = args[nargs + i];
		} else if (nargs < 2 &&
			   PyUnicode_CompareWithASCIIString(k, "timeout") == 0) {
			timeout = args[nargs + i];
		} else {
			PyErr_Format(PyExc_TypeError,
				     "acquire() got an unexpected or repeated "
				     "keyword argument %R", k);
			return NULL;
		}
	}
	if (block == Py_True && timeout == Py_None)
		return lockcore_take(self, KIPC_NO_DEADLINE);
	r = PyObject_CallFunctionObjArgs(self->deadline, block, timeout, NULL);
	if (!r)
		return NULL;
	ret = get_u64(r, &dl);
	Py_DECREF(r);
	if (ret)
		return NULL;
	return lockcore_take(self, dl);
}

static PyObject *lockcore_enter(PyObject *op, PyObject *unused)
{
	LockCore *self = (LockCore *)op;

	(void)unused;
	if (lockcore_unbound(self))
		return NULL;
	return lockcore_take(self, KIPC_NO_DEADLINE);
}

static PyObject *lockcore_release(PyObject *op, PyObject *unused)
{
	LockCore *self = (LockCore *)op;
	int ret;

	(void)unused;
	if (lockcore_unbound(self))
		return NULL;
	ret = self->release_fn(self->h);
	if (ret == 0)
		Py_RETURN_NONE;
	return PyObject_CallMethod(op, "_c_release_failed", "i", ret);
}

/* __exit__(*exc_info): release; an exception in the block propagates. */
static PyObject *lockcore_exit(PyObject *op, PyObject *const *args,
			       Py_ssize_t nargs)
{
	PyObject *r;

	(void)args;
	(void)nargs;
	r = lockcore_release(op, NULL);
	if (!r)
		return NULL;
	Py_DECREF(r);
	Py_RETURN_NONE;
}

static int lockcore_traverse(PyObject *op, visitproc visit, void *arg)
{
	Py_VISIT(Py_TYPE(op));
	Py_VISIT(((LockCore *)op)->deadline);
	return 0;
}

static int lockcore_clear(PyObject *op)
{
	Py_CLEAR(((LockCore *)op)->deadline);
	return 0;
}

static void lockcore_dealloc(PyObject *op)
{
	PyTypeObject *tp = Py_TYPE(op);

	PyObject_GC_UnTrack(op);
	lockcore_clear(op);
	tp->tp_free(op);
	Py_DECREF(tp);
}

static PyMethodDef lockcore_methods[] = {
	{ "acquire", (PyCFunction)(void (*)(void))lockcore_acquire,
	  METH_FASTCALL | METH_KEYWORDS,
	  PyDoc_STR("acquire(block=True, timeout=None) -> bool") },
	{ "release", lockcore_release, METH_NOARGS,
	  PyDoc_STR("release() -> None") },
	{ "__enter__", lockcore_enter, METH_NOARGS,
	  PyDoc_STR("acquire() -> True") },
	{ "__exit__", (PyCFunction)(void (*)(void))lockcore_exit,
	  METH_FASTCALL, PyDoc_STR("release() -> None") },
	{ "_sp_bind", (PyCFunction)(void (*)(void))lockcore_bind,
	  METH_FASTCALL,
	  PyDoc_STR("_sp_bind(handle, rlock, deadline): bind the handle") },
	{ NULL, NULL, 0, NULL }
};

static PyType_Slot lockcore_slots[] = {
	{ Py_tp_doc, (void *)"Base class of kipc.synchronize's Lock and RLock" },
	{ Py_tp_new, (void *)PyType_GenericNew },
	{ Py_tp_traverse, (void *)lockcore_traverse },
	{ Py_tp_clear, (void *)lockcore_clear },
	{ Py_tp_dealloc, (void *)lockcore_dealloc },
	{ Py_tp_methods, lockcore_methods },
	{ 0, NULL }
};

static PyType_Spec lockcore_spec = {
	.name = "kipc._speedups.LockCore",
	.basicsize = sizeof(LockCore),
	.flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_BASETYPE,
	.slots = lockcore_slots,
};

/*
 * ChannelCore: the C base class of kipc.queues.Channel when this module is
 * in use. It owns the close/busy bookkeeping that the ctypes path keeps
 * under a threading.Lock: busy counts the calls using the mapping, closing
 * refuses new ones, and the last call out after close() releases the
 * mapping (finalize). Every field is read and written with the GIL held and
 * no Python code runs between a check and its update, so the GIL is the
 * lock; it is released only while libipc sleeps, inside a busy window.
 *
 * put_obj() pickles in the caller as queues._dumps does: an object built
 * only of exact bytes, str, int, float, bool, None, tuple, list and dict
 * (PLAIN_DEPTH levels, PLAIN_ITEMS objects at most) goes to pickle.dumps,
 * which gives ForkingPickler's bytes (the pickler saves these types
 * itself, before it looks at a dispatch table, so no reducer can apply);
 * anything else goes to the Python ForkingPickler path (dumps), reducers
 * and all.
 */
typedef struct {
	PyObject_HEAD
	struct kipc_channel *ch;
	__u64 slot;
	__u64 max;		/* largest message (max_msg, at least slot) */
	Py_ssize_t busy;	/* calls inside the mapping (GIL) */
	int closing;		/* close() was called (GIL) */
	PyObject *finalize;	/* releases the mapping; runs once */
	PyObject *dumps;	/* ForkingPickler path: obj -> bytes */
	PyObject *plain_dumps;	/* pickle.dumps */
	PyObject *loads;	/* pickle.loads */
} ChannelCore;

/* How much of an object put_obj() walks before it lets dumps decide. */
#define PLAIN_DEPTH	4
#define PLAIN_ITEMS	256

/* Whether @o is built only of types the pickler saves before any reducer. */
static int plain(PyObject *o, int depth, Py_ssize_t *budget)
{
	PyTypeObject *t = Py_TYPE(o);
	Py_ssize_t i, pos = 0;
	PyObject *k, *v;

	if (--*budget < 0)
		return 0;
	if (o == Py_None || t == &PyBool_Type || t == &PyLong_Type ||
	    t == &PyFloat_Type || t == &PyBytes_Type || t == &PyUnicode_Type)
		return 1;
	if (!depth)
		return 0;
	if (t == &PyTuple_Type || t == &PyList_Type) {
		/* A list's items are read with the GIL held: nothing runs. */
		for (i = 0; i < PySequence_Fast_GET_SIZE(o); i++)
			if (!plain(PySequence_Fast_GET_ITEM(o, i), depth - 1,
				   budget))
				return 0;
		return 1;
	}
	if (t == &PyDict_Type) {
		while (PyDict_Next(o, &pos, &k, &v))
			if (!plain(k, depth - 1, budget) ||
			    !plain(v, depth - 1, budget))
				return 0;
		return 1;
	}
	return 0;
}

static int chcore_unbound(ChannelCore *self)
{
	if (self->ch)
		return 0;
	PyErr_SetString(PyExc_ValueError, "kipc: the channel has no handle");
	return 1;
}

/* A call begins: refused once close() was called. */
static int chcore_enter(ChannelCore *self)
{
	if (chcore_unbound(self))
		return -1;
	if (self->closing) {
		PyErr_SetString(PyExc_ValueError, "the queue is closed");
		return -1;
	}
	self->busy++;
	return 0;
}

/*
 * A call ends; the last one out after close() releases the mapping. The
 * call's own result stands (a message taken is never dropped, an exception
 * it raised is kept): a failure of finalize is reported as unraisable.
 */
static void chcore_leave(ChannelCore *self)
{
	PyObject *r, *et, *ev, *tb;

	if (--self->busy || !self->closing)
		return;
	PyErr_Fetch(&et, &ev, &tb);
	r = PyObject_CallNoArgs(self->finalize);
	if (r)
		Py_DECREF(r);
	else
		PyErr_WriteUnraisable(self->finalize);
	PyErr_Restore(et, ev, tb);
}

/* _sp_bind(address, slot_size, max_msg, finalize, dumps, plain_dumps, loads) */
static PyObject *chcore_bind(PyObject *op, PyObject *const *args,
			     Py_ssize_t nargs)
{
	ChannelCore *self = (ChannelCore *)op;
	struct kipc_channel *ch;
	__u64 slot, max;
	int i;

	if (nargs_bad("_sp_bind", nargs, 7) || not_bound() ||
	    get_channel(args[0], &ch) || get_u64(args[1], &slot) ||
	    get_u64(args[2], &max) || bad_sizes("_sp_bind", slot, max))
		return NULL;
	for (i = 3; i < 7; i++) {
		if (!PyCallable_Check(args[i])) {
			PyErr_SetString(PyExc_TypeError,
					"_sp_bind: not callable");
			return NULL;
		}
	}
	if (self->ch) {
		PyErr_SetString(PyExc_RuntimeError,
				"kipc: channel already bound");
		return NULL;
	}
	self->ch = ch;
	self->slot = slot;
	self->max = max;
	Py_INCREF(args[3]);
	Py_XSETREF(self->finalize, args[3]);
	Py_INCREF(args[4]);
	Py_XSETREF(self->dumps, args[4]);
	Py_INCREF(args[5]);
	Py_XSETREF(self->plain_dumps, args[5]);
	Py_INCREF(args[6]);
	Py_XSETREF(self->loads, args[6]);
	Py_RETURN_NONE;
}

/* One put of @data's bytes inside a busy window: libipc's result. */
static PyObject *chcore_put_data(ChannelCore *self, PyObject *data, __u64 dl)
{
	Py_buffer view;
	int ret;

	if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE))
		return NULL;
	if (chcore_enter(self)) {
		PyBuffer_Release(&view);
		return NULL;
	}
	ret = fn.chan_put(self->ch, view.buf, view.len, KIPC_NOWAIT);
	while (ret == -EAGAIN && dl != KIPC_NOWAIT) {
		Py_BEGIN_ALLOW_THREADS
		ret = fn.chan_put(self->ch, view.buf, view.len, dl);
		Py_END_ALLOW_THREADS
		if (ret != -EINTR)
			break;
		if (PyErr_CheckSignals()) {
			ret = INT_MIN;
			break;
		}
		ret = -EAGAIN;
	}
	PyBuffer_Release(&view);
	chcore_leave(self);
	if (ret == INT_MIN)
		return NULL;
	return PyLong_FromLong(ret);
}

/* put(data, deadline_ns) -> int */
static PyObject *chcore_put(PyObject *op, PyObject *const *args,
			    Py_ssize_t nargs)
{
	__u64 dl;

	if (nargs_bad("put", nargs, 2) || get_u64(args[1], &dl))
		return NULL;
	return chcore_put_data((ChannelCore *)op, args[0], dl);
}

/*
 * put_obj(obj, deadline_ns) -> int: pickle obj and put it; 0, a negative
 * errno, or the pickle's length when it is larger than max_msg (nothing
 * put). A pickling error is raised before anything is put.
 */
static PyObject *put_obj(ChannelCore *self, PyObject *obj, __u64 dl)
{
	Py_ssize_t budget = PLAIN_ITEMS;
	PyObject *data, *r;

	if (chcore_unbound(self))
		return NULL;
	data = PyObject_CallOneArg(plain(obj, PLAIN_DEPTH, &budget) ?
				   self->plain_dumps : self->dumps, obj);
	if (!data)
		return NULL;
	if (!PyBytes_Check(data)) {
		PyErr_SetString(PyExc_TypeError, "kipc: dumps() gave no bytes");
		Py_DECREF(data);
		return NULL;
	}
	if ((__u64)PyBytes_GET_SIZE(data) > self->max) {
		r = PyLong_FromSsize_t(PyBytes_GET_SIZE(data));
		Py_DECREF(data);
		return r;
	}
	r = chcore_put_data(self, data, dl);
	Py_DECREF(data);
	return r;
}

static PyObject *chcore_put_obj(PyObject *op, PyObject *const *args,
				Py_ssize_t nargs)
{
	__u64 dl;

	if (nargs_bad("put_obj", nargs, 2) || get_u64(args[1], &dl))
		return NULL;
	return put_obj((ChannelCore *)op, args[0], dl);
}

/* One message as bytes or a negative errno, inside a busy window. */
static PyObject *chcore_get_data(ChannelCore *self, __u64 dl)
{
	PyObject *r;

	if (chcore_enter(self))
		return NULL;
	r = channel_get_grow(self->ch, self->slot, self->max, dl);
	chcore_leave(self);
	return r;
}

/* get(deadline_ns) -> bytes or int */
static PyObject *chcore_get(PyObject *op, PyObject *const *args,
			    Py_ssize_t nargs)
{
	__u64 dl;

	if (nargs_bad("get", nargs, 1) || get_u64(args[0], &dl))
		return NULL;
	return chcore_get_data((ChannelCore *)op, dl);
}

/* The object in @data (a reference this takes). */
static PyObject *chcore_loads(ChannelCore *self, PyObject *data)
{
	PyObject *obj = PyObject_CallOneArg(self->loads, data);

	Py_DECREF(data);
	return obj;
}

/* get_obj(deadline_ns) -> (True, the unpickled message) or (False, -errno) */
static PyObject *chcore_get_obj(PyObject *op, PyObject *const *args,
				Py_ssize_t nargs)
{
	ChannelCore *self = (ChannelCore *)op;
	PyObject *data, *obj, *r;
	__u64 dl;

	if (nargs_bad("get_obj", nargs, 1) || get_u64(args[0], &dl))
		return NULL;
	data = chcore_get_data(self, dl);
	if (!data)
		return NULL;
	if (!PyBytes_Check(data)) {
		r = PyTuple_Pack(2, Py_False, data);
		Py_DECREF(data);
		return r;
	}
	obj = chcore_loads(self, data);
	if (!obj)
		return NULL;
	r = PyTuple_Pack(2, Py_True, obj);
	Py_DECREF(obj);
	return r;
}

/* _enter(): a call of the Python methods begins (ValueError if closed). */
static PyObject *chcore_py_enter(PyObject *op, PyObject *unused)
{
	(void)unused;
	if (chcore_enter((ChannelCore *)op))
		return NULL;
	Py_RETURN_NONE;
}

/* _leave(): after _enter(), always (try/finally). */
static PyObject *chcore_py_leave(PyObject *op, PyObject *unused)
{
	ChannelCore *self = (ChannelCore *)op;

	(void)unused;
	if (self->busy <= 0) {
		PyErr_SetString(PyExc_RuntimeError, "kipc: _leave() without "
				"_enter()");
		return NULL;
	}
	chcore_leave(self);
	Py_RETURN_NONE;
}

/* close(): no new calls; the mapping goes when the last call ends. */
static PyObject *chcore_close(PyObject *op, PyObject *unused)
{
	ChannelCore *self = (ChannelCore *)op;
	PyObject *r;

	(void)unused;
	if (self->closing)
		Py_RETURN_NONE;
	self->closing = 1;
	if (self->busy || !self->finalize)
		Py_RETURN_NONE;
	r = PyObject_CallNoArgs(self->finalize);
	if (!r)
		return NULL;
	Py_DECREF(r);
	Py_RETURN_NONE;
}

static PyObject *chcore_closed(PyObject *op, void *unused)
{
	(void)unused;
	return PyBool_FromLong(((ChannelCore *)op)->closing);
}

static PyObject *chcore_busy(PyObject *op, void *unused)
{
	(void)unused;
	return PyLong_FromSsize_t(((ChannelCore *)op)->busy);
}

static int chcore_traverse(PyObject *op, visitproc visit, void *arg)
{
	ChannelCore *self = (ChannelCore *)op;

	Py_VISIT(Py_TYPE(op));
	Py_VISIT(self->finalize);
	Py_VISIT(self->dumps);
	Py_VISIT(self->plain_dumps);
	Py_VISIT(self->loads);
	return 0;
}

static int chcore_clear(PyObject *op)
{
	ChannelCore *self = (ChannelCore *)op;

	Py_CLEAR(self->finalize);
	Py_CLEAR(self->dumps);
	Py_CLEAR(self->plain_dumps);
	Py_CLEAR(self->loads);
	return 0;
}

static void chcore_dealloc(PyObject *op)
{
	PyTypeObject *tp = Py_TYPE(op);

	PyObject_GC_UnTrack(op);
	chcore_clear(op);
	tp->tp_free(op);
	Py_DECREF(tp);
}

#define CHFAST(name, doc)						\
	{ #name, (PyCFunction)(void (*)(void))chcore_##name, METH_FASTCALL, \
	  PyDoc_STR(doc) }

static PyMethodDef chcore_methods[] = {
	CHFAST(put, "put(data, deadline_ns) -> int"),
	CHFAST(put_obj, "put_obj(obj, deadline_ns) -> 0, -errno, or the "
			"pickle's length if larger than max_msg"),
	CHFAST(get, "get(deadline_ns) -> bytes or int"),
	CHFAST(get_obj, "get_obj(deadline_ns) -> (True, obj) or "
			"(False, -errno)"),
	{ "_enter", chcore_py_enter, METH_NOARGS,
	  PyDoc_STR("_enter(): a call begins (ValueError once closed)") },
	{ "_leave", chcore_py_leave, METH_NOARGS,
	  PyDoc_STR("_leave(): the call that _enter() began ends") },
	{ "close", chcore_close, METH_NOARGS,
	  PyDoc_STR("close(): no new calls; released after the last") },
	{ "_sp_bind", (PyCFunction)(void (*)(void))chcore_bind, METH_FASTCALL,
	  PyDoc_STR("_sp_bind(address, slot_size, max_msg, finalize, dumps, "
		     "plain_dumps, loads)") },
	{ NULL, NULL, 0, NULL }
};

static PyGetSetDef chcore_getset[] = {
	{ "closed", chcore_closed, NULL, PyDoc_STR("close() was called"),
	  NULL },
	{ "_busy", chcore_busy, NULL, PyDoc_STR("calls in progress"), NULL },
	{ NULL, NULL, NULL, NULL, NULL }
};

static PyType_Slot chcore_slots[] = {
	{ Py_tp_doc, (void *)"Base class of kipc.queues.Channel" },
	{ Py_tp_new, (void *)PyType_GenericNew },
	{ Py_tp_traverse, (void *)chcore_traverse },
	{ Py_tp_clear, (void *)chcore_clear },
	{ Py_tp_dealloc, (void *)chcore_dealloc },
	{ Py_tp_methods, chcore_methods },
	{ Py_tp_getset, chcore_getset },
	{ 0, NULL }
};

static PyType_Spec chcore_spec = {
	.name = "kipc._speedups.ChannelCore",
	.basicsize = sizeof(ChannelCore),
	.flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_BASETYPE,
	.slots = chcore_slots,
};

/*
 * QueueCore: the C base class of kipc.queues.Queue and SimpleQueue when this
 * module is in use. put(obj) and get() with the default arguments go
 * straight to the ChannelCore that _sp_fast() set -- one C call, no Python
 * frame. Any other call, or no such channel (the queue is closed or has a
 * maxsize gate: Python keeps it up to date), goes to the Python methods
 * _put and _get with the same arguments; failures to _put_failed and
 * _get_failed, which raise as the Python path does.
 */
static PyTypeObject *chcore_type;

typedef struct {
	PyObject_HEAD
	ChannelCore *ch;	/* NULL: every call takes the Python path */
	int options;		/* put/get take block and timeout (Queue) */
} QueueCore;

/*
 * _sp_fast(channel or None, options): @options false (SimpleQueue) sends
 * any argument beyond put's obj to the Python method, which rejects it.
 */
static PyObject *qcore_fast(PyObject *op, PyObject *const *args,
			    Py_ssize_t nargs)
{
	QueueCore *self = (QueueCore *)op;
	int options;

	if (nargs_bad("_sp_fast", nargs, 2))
		return NULL;
	if (args[0] != Py_None && !PyObject_TypeCheck(args[0], chcore_type)) {
		PyErr_SetString(PyExc_TypeError,
				"_sp_fast: not a ChannelCore or None");
		return NULL;
	}
	options = PyObject_IsTrue(args[1]);
	if (options < 0)
		return NULL;
	self->options = options;
	Py_XSETREF(self->ch, args[0] == Py_None ? NULL :
		   (ChannelCore *)Py_NewRef(args[0]));
	Py_RETURN_NONE;
}

/* The Python method @name with these arguments. */
static PyObject *qcore_slow(PyObject *op, const char *name,
			    PyObject *const *args, size_t nargsf,
			    PyObject *kwnames)
{
	PyObject *m = PyObject_GetAttrString(op, name), *r;

	if (!m)
		return NULL;
	r = PyObject_Vectorcall(m, args, nargsf, kwnames);
	Py_DECREF(m);
	return r;
}

/*
 * Whether the arguments after the first @skip are block=True,
 * timeout=None, or absent.
 */
static int qcore_defaults(const QueueCore *self, PyObject *const *args,
			  Py_ssize_t nargs, PyObject *kwnames, Py_ssize_t skip)
{
	if (kwnames || nargs > skip + (self->options ? 2 : 0))
		return 0;
	if (nargs > skip && args[skip] != Py_True)
		return 0;
	return nargs <= skip + 1 || args[skip + 1] == Py_None;
}

/* put(obj, block=True, timeout=None) */
static PyObject *qcore_put(PyObject *op, PyObject *const *args,
			   size_t nargsf, PyObject *kwnames)
{
	QueueCore *self = (QueueCore *)op;
	Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
	ChannelCore *ch = self->ch;
	PyObject *r;

	if (!ch || nargs < 1 || !qcore_defaults(self, args, nargs, kwnames, 1))
		return qcore_slow(op, "_put", args, nargsf, kwnames);
	/* Ours for the call: another thread may _sp_fast(None) meanwhile. */
	Py_INCREF(ch);
	r = put_obj(ch, args[0], KIPC_NO_DEADLINE);
	Py_DECREF(ch);
	if (!r)
		return NULL;
	if (PyLong_AsSsize_t(r) == 0) {	/* put_obj() gives an int */
		Py_DECREF(r);
		Py_RETURN_NONE;
	}
	Py_SETREF(r, PyObject_CallMethod(op, "_put_failed", "O", r));
	return r;
}

/* get(block=True, timeout=None) */
static PyObject *qcore_get(PyObject *op, PyObject *const *args,
			   size_t nargsf, PyObject *kwnames)
{
	QueueCore *self = (QueueCore *)op;
	Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
	ChannelCore *ch = self->ch;
	PyObject *data;

	if (!ch || !qcore_defaults(self, args, nargs, kwnames, 0))
		return qcore_slow(op, "_get", args, nargsf, kwnames);
	Py_INCREF(ch);
	data = chcore_get_data(ch, KIPC_NO_DEADLINE);
	if (data && PyBytes_Check(data))
		data = chcore_loads(ch, data);
	else if (data)
		Py_SETREF(data, PyObject_CallMethod(op, "_get_failed", "O",
						    data));
	Py_DECREF(ch);
	return data;
}

static int qcore_traverse(PyObject *op, visitproc visit, void *arg)
{
	Py_VISIT(Py_TYPE(op));
	Py_VISIT(((QueueCore *)op)->ch);
	return 0;
}

static int qcore_clear(PyObject *op)
{
	Py_CLEAR(((QueueCore *)op)->ch);
	return 0;
}

static void qcore_dealloc(PyObject *op)
{
	PyTypeObject *tp = Py_TYPE(op);

	PyObject_GC_UnTrack(op);
	qcore_clear(op);
	tp->tp_free(op);
	Py_DECREF(tp);
}

static PyMethodDef qcore_methods[] = {
	{ "put", (PyCFunction)(void (*)(void))qcore_put,
	  METH_FASTCALL | METH_KEYWORDS,
	  PyDoc_STR("put(obj, block=True, timeout=None)") },
	{ "get", (PyCFunction)(void (*)(void))qcore_get,
	  METH_FASTCALL | METH_KEYWORDS,
	  PyDoc_STR("get(block=True, timeout=None) -> obj") },
	{ "_sp_fast", (PyCFunction)(void (*)(void))qcore_fast,
	  METH_FASTCALL,
	  PyDoc_STR("_sp_fast(channel or None, options): the channel of "
		    "the fast path") },
	{ NULL, NULL, 0, NULL }
};

static PyType_Slot qcore_slots[] = {
	{ Py_tp_doc, (void *)"Base class of kipc.queues.Queue and SimpleQueue" },
	{ Py_tp_new, (void *)PyType_GenericNew },
	{ Py_tp_traverse, (void *)qcore_traverse },
	{ Py_tp_clear, (void *)qcore_clear },
	{ Py_tp_dealloc, (void *)qcore_dealloc },
	{ Py_tp_methods, qcore_methods },
	{ 0, NULL }
};

static PyType_Spec qcore_spec = {
	.name = "kipc._speedups.QueueCore",
	.basicsize = sizeof(QueueCore),
	.flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_BASETYPE,
	.slots = qcore_slots,
};

/*
 * object_stat(fd) -> bytes (a struct kipc_stat) or -errno. The ioctl
 * itself, which needs no libipc state; kipc._stats decodes the bytes.
 */
static PyObject *sp_object_stat(PyObject *self, PyObject *const *args,
				Py_ssize_t nargs)
{
	struct kipc_stat st;
	struct kipc_stat_query q = {
		.version = KIPC_STAT_VERSION,
		.stat = (__u64)(uintptr_t)&st,
	};
	long fd;
	int ret;

	(void)self;
	if (nargs_bad("object_stat", nargs, 1))
		return NULL;
	fd = PyLong_AsLong(args[0]);
	if (fd == -1 && PyErr_Occurred())
		return NULL;
	if (fd < 0 || fd > INT_MAX)
		return PyLong_FromLong(-EBADF);
	memset(&st, 0, sizeof(st));
	Py_BEGIN_ALLOW_THREADS
	ret = ioctl((int)fd, KIPC_OBJ_IOC_STAT, &q);
	if (ret < 0)
		ret = -errno;
	Py_END_ALLOW_THREADS
	if (ret < 0)
		return PyLong_FromLong(ret);
	return PyBytes_FromStringAndSize((const char *)&st, sizeof(st));
}

#define FAST(name, doc)							\
	{ #name, (PyCFunction)(void (*)(void))sp_##name, METH_FASTCALL,	\
	  PyDoc_STR(doc) }

static PyMethodDef methods[] = {
	FAST(bind, "bind(*addresses): the libipc functions named in NAMES."),
	FAST(object_stat, "object_stat(fd) -> bytes (struct kipc_stat) or int"),
	FAST(sem_acquire, "sem_acquire(handle, deadline_ns) -> int"),
	FAST(sem_release, "sem_release(handle, n) -> int"),
	FAST(event_set, "event_set(handle) -> int"),
	FAST(event_is_set, "event_is_set(handle) -> int"),
	FAST(channel_put_many, "channel_put_many(handle, datas, deadline_ns) "
			       "-> int"),
	FAST(channel_get_many, "channel_get_many(handle, n, slot_size, "
			       "max_msg, deadline_ns) -> list or int"),
	{ NULL, NULL, 0, NULL }
};

static int exec_module(PyObject *m)
{
	PyObject *t = PyTuple_New(NFUNCS);
	size_t i;

	if (!t)
		return -1;
	for (i = 0; i < NFUNCS; i++) {
		PyObject *s = PyUnicode_FromString(names[i]);

		if (!s) {
			Py_DECREF(t);
			return -1;
		}
		PyTuple_SET_ITEM(t, i, s);
	}
	if (PyModule_AddObject(m, "NAMES", t)) {
		Py_DECREF(t);
		return -1;
	}
	t = PyType_FromModuleAndSpec(m, &lockcore_spec, NULL);
	if (!t)
		return -1;
	if (PyModule_AddObject(m, "LockCore", t)) {
		Py_DECREF(t);
		return -1;
	}
	t = PyType_FromModuleAndSpec(m, &chcore_spec, NULL);
	if (!t)
		return -1;
	chcore_type = (PyTypeObject *)t;	/* the module keeps it */
	if (PyModule_AddObject(m, "ChannelCore", Py_NewRef(t))) {
		Py_DECREF(t);
		Py_DECREF(t);
		return -1;
	}
	Py_DECREF(t);
	t = PyType_FromModuleAndSpec(m, &qcore_spec, NULL);
	if (!t)
		return -1;
	if (PyModule_AddObject(m, "QueueCore", t)) {
		Py_DECREF(t);
		return -1;
	}
	return 0;
}

static PyModuleDef_Slot slots[] = {
	{ Py_mod_exec, (void *)exec_module },
	{ 0, NULL }
};

static struct PyModuleDef module = {
	PyModuleDef_HEAD_INIT,
	.m_name = "kipc._speedups",
	.m_doc = "Fast paths of kipc.synchronize (see kipc._lib).",
	.m_size = 0,
	.m_methods = methods,
	.m_slots = slots,
};

PyMODINIT_FUNC PyInit__speedups(void)
{
	return PyModuleDef_Init(&module);
}
