// SPDX-License-Identifier: MIT
/*
 * kipc._speedups: the hot paths of kipc.synchronize and of the queues'
 * channels without ctypes.
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
#include <structmember.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "libipc.h"

typedef int (*sync_fn)(struct kipc_sync *);
typedef int (*sync_wait_fn)(struct kipc_sync *, __u64);
typedef int (*sync_n_fn)(struct kipc_sync *, __u32);
typedef int (*chan_put_fn)(struct kipc_channel *, const void *, size_t, __u64);
typedef ssize_t (*chan_get_fn)(struct kipc_channel *, void *, size_t, __u64);

/* The order of NAMES and of bind()'s arguments. */
static const char *const names[] = {
	"kipc_lock_acquire", "kipc_lock_try_acquire", "kipc_lock_release",
	"kipc_rlock_acquire", "kipc_rlock_try_acquire", "kipc_rlock_release",
	"kipc_sem_acquire", "kipc_sem_try_acquire", "kipc_sem_release",
	"kipc_event_set", "kipc_event_is_set",
	"kipc_channel_put", "kipc_channel_get",
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

ACQUIRE(lock_acquire, lock)
ACQUIRE(rlock_acquire, rlock)
ACQUIRE(sem_acquire, sem)
SIMPLE(lock_release, lock_release)
SIMPLE(rlock_release, rlock_release)
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

/* channel_put(handle, data, deadline_ns) -> int */
static PyObject *sp_channel_put(PyObject *self, PyObject *const *args,
				Py_ssize_t nargs)
{
	struct kipc_channel *ch;
	Py_buffer view;
	__u64 dl;
	int ret;

	(void)self;
	if (nargs_bad("channel_put", nargs, 3) || not_bound() ||
	    get_channel(args[0], &ch) || get_u64(args[2], &dl))
		return NULL;
	if (PyObject_GetBuffer(args[1], &view, PyBUF_SIMPLE))
		return NULL;
	ret = fn.chan_put(ch, view.buf, view.len, KIPC_NOWAIT);
	while (ret == -EAGAIN && dl != KIPC_NOWAIT) {
		Py_BEGIN_ALLOW_THREADS
		ret = fn.chan_put(ch, view.buf, view.len, dl);
		Py_END_ALLOW_THREADS
		if (ret != -EINTR)
			break;
		if (PyErr_CheckSignals()) {
			PyBuffer_Release(&view);
			return NULL;
		}
		ret = -EAGAIN;
	}
	PyBuffer_Release(&view);
	return PyLong_FromLong(ret);
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
 * channel_get(handle, slot_size, max_msg, deadline_ns) -> bytes or int.
 * A message larger than a slot is retried with a buffer grown by 8 up to
 * max_msg, as kipc.queues.Channel.get does on the ctypes path.
 */
static PyObject *sp_channel_get(PyObject *self, PyObject *const *args,
				Py_ssize_t nargs)
{
	struct kipc_channel *ch;
	PyObject *out = NULL;
	__u64 dl, slot, max;
	Py_ssize_t size;
	ssize_t n;

	(void)self;
	if (nargs_bad("channel_get", nargs, 4) || not_bound() ||
	    get_channel(args[0], &ch) || get_u64(args[1], &slot) ||
	    get_u64(args[2], &max) || get_u64(args[3], &dl))
		return NULL;
	if (!slot || slot > max || max > PY_SSIZE_T_MAX) {
		PyErr_SetString(PyExc_ValueError, "channel_get: bad sizes");
		return NULL;
	}
	size = (Py_ssize_t)slot;
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
 * LockOps: acquire and release of one Lock or RLock as C methods, which
 * kipc.synchronize puts on the instance, so that the uncontended path runs
 * no Python frame. Anything but success goes to the Python callbacks
 * (which map errors as the ctypes path does); it holds no reference to the
 * lock object itself. The handle is closed when the LockOps goes away
 * (kipc.synchronize keys its finalizer on it), so a method of it that
 * outlives the lock object still has a valid handle.
 */
typedef struct {
	PyObject_HEAD
	struct kipc_sync *h;
	sync_fn try_fn;
	sync_wait_fn wait_fn;
	sync_fn release_fn;
	PyObject *deadline;	/* deadline(block, timeout) -> int */
	PyObject *acquire_failed;	/* (ret) -> bool */
	PyObject *release_failed;	/* (ret) -> None */
	PyObject *weakreflist;
} LockOps;

static int lockops_init(PyObject *op, PyObject *args, PyObject *kwds)
{
	LockOps *self = (LockOps *)op;
	PyObject *handle, *dl, *af, *rf;
	int rlock;

	if (kwds && PyDict_GET_SIZE(kwds)) {
		PyErr_SetString(PyExc_TypeError, "LockOps() takes no keywords");
		return -1;
	}
	if (!PyArg_ParseTuple(args, "OpOOO:LockOps", &handle, &rlock, &dl,
			      &af, &rf) || not_bound() ||
	    get_handle(handle, &self->h))
		return -1;
	self->try_fn = rlock ? fn.rlock_try : fn.lock_try;
	self->wait_fn = rlock ? fn.rlock_acquire : fn.lock_acquire;
	self->release_fn = rlock ? fn.rlock_release : fn.lock_release;
	Py_INCREF(dl);
	Py_INCREF(af);
	Py_INCREF(rf);
	Py_XSETREF(self->deadline, dl);
	Py_XSETREF(self->acquire_failed, af);
	Py_XSETREF(self->release_failed, rf);
	return 0;
}

static int lockops_traverse(PyObject *op, visitproc visit, void *arg)
{
	LockOps *self = (LockOps *)op;

	Py_VISIT(Py_TYPE(op));
	Py_VISIT(self->deadline);
	Py_VISIT(self->acquire_failed);
	Py_VISIT(self->release_failed);
	return 0;
}

static int lockops_clear(PyObject *op)
{
	LockOps *self = (LockOps *)op;

	Py_CLEAR(self->deadline);
	Py_CLEAR(self->acquire_failed);
	Py_CLEAR(self->release_failed);
	return 0;
}

static void lockops_dealloc(PyObject *op)
{
	PyTypeObject *tp = Py_TYPE(op);

	PyObject_GC_UnTrack(op);
	if (((LockOps *)op)->weakreflist)
		PyObject_ClearWeakRefs(op);
	lockops_clear(op);
	tp->tp_free(op);
	Py_DECREF(tp);
}

/* acquire(block=True, timeout=None) */
static PyObject *lockops_acquire(PyObject *op, PyObject *const *args,
				 size_t nargsf, PyObject *kwnames)
{
	LockOps *self = (LockOps *)op;
	Py_ssize_t nargs = PyVectorcall_NARGS(nargsf), i, nkw;
	PyObject *block = Py_True, *timeout = Py_None, *r;
	__u64 dl;
	int ret;

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
	if (block == Py_True && timeout == Py_None) {
		dl = KIPC_NO_DEADLINE;
	} else {
		r = PyObject_CallFunctionObjArgs(self->deadline, block,
						 timeout, NULL);
		if (!r)
			return NULL;
		ret = get_u64(r, &dl);
		Py_DECREF(r);
		if (ret)
			return NULL;
	}
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
	r = PyLong_FromLong(ret);
	if (!r)
		return NULL;
	Py_SETREF(r, PyObject_CallOneArg(self->acquire_failed, r));
	return r;
}

static PyObject *lockops_release(PyObject *op, PyObject *unused)
{
	LockOps *self = (LockOps *)op;
	PyObject *r;
	int ret;

	(void)unused;
	ret = self->release_fn(self->h);
	if (ret == 0)
		Py_RETURN_NONE;
	r = PyLong_FromLong(ret);
	if (!r)
		return NULL;
	Py_SETREF(r, PyObject_CallOneArg(self->release_failed, r));
	return r;
}

static PyMethodDef lockops_methods[] = {
	{ "acquire", (PyCFunction)(void (*)(void))lockops_acquire,
	  METH_FASTCALL | METH_KEYWORDS,
	  PyDoc_STR("acquire(block=True, timeout=None) -> bool") },
	{ "release", lockops_release, METH_NOARGS,
	  PyDoc_STR("release() -> None") },
	{ NULL, NULL, 0, NULL }
};

static PyMemberDef lockops_members[] = {
	{ "__weaklistoffset__", T_PYSSIZET, offsetof(LockOps, weakreflist),
	  READONLY, NULL },
	{ NULL, 0, 0, 0, NULL }
};

static PyType_Slot lockops_slots[] = {
	{ Py_tp_members, lockops_members },
	{ Py_tp_doc, (void *)"LockOps(handle, rlock, deadline, acquire_failed, "
		     "release_failed)" },
	{ Py_tp_init, (void *)lockops_init },
	{ Py_tp_new, (void *)PyType_GenericNew },
	{ Py_tp_traverse, (void *)lockops_traverse },
	{ Py_tp_clear, (void *)lockops_clear },
	{ Py_tp_dealloc, (void *)lockops_dealloc },
	{ Py_tp_methods, lockops_methods },
	{ 0, NULL }
};

static PyType_Spec lockops_spec = {
	.name = "kipc._speedups.LockOps",
	.basicsize = sizeof(LockOps),
	.flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
	.slots = lockops_slots,
};

#define FAST(name, doc)							\
	{ #name, (PyCFunction)(void (*)(void))sp_##name, METH_FASTCALL,	\
	  PyDoc_STR(doc) }

static PyMethodDef methods[] = {
	FAST(bind, "bind(*addresses): the libipc functions named in NAMES."),
	FAST(lock_acquire, "lock_acquire(handle, deadline_ns) -> int"),
	FAST(lock_release, "lock_release(handle) -> int"),
	FAST(rlock_acquire, "rlock_acquire(handle, deadline_ns) -> int"),
	FAST(rlock_release, "rlock_release(handle) -> int"),
	FAST(sem_acquire, "sem_acquire(handle, deadline_ns) -> int"),
	FAST(sem_release, "sem_release(handle, n) -> int"),
	FAST(event_set, "event_set(handle) -> int"),
	FAST(event_is_set, "event_is_set(handle) -> int"),
	FAST(channel_put, "channel_put(handle, data, deadline_ns) -> int"),
	FAST(channel_get, "channel_get(handle, slot_size, max_msg, "
			  "deadline_ns) -> bytes or int"),
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
	t = PyType_FromModuleAndSpec(m, &lockops_spec, NULL);
	if (!t)
		return -1;
	if (PyModule_AddObject(m, "LockOps", t)) {
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
