/*
 * repr_impl.h — what repr.c and repr_containers.c share; not an API.
 */
#ifndef PYSPY_REPR_IMPL_H
#define PYSPY_REPR_IMPL_H

#include <stdint.h>

#include "engine/python/pyobj.h"
#include "repr.h"
#include "engine/strbuf.h"

#define REPR_MAX_NEST 64

struct rctx {
	struct target *t;
	const struct repr_opts *o;
	struct strbuf sb;
	raddr_t stack[REPR_MAX_NEST];  /* containers being printed, outermost first */
	int nstack;
	bool py2;                      /* the layout's Python 2 object world */
	int fatal;                     /* the process is gone or memory ran out: stop */
	struct pyspy_err *e;           /* where a fatal error is reported */
};

void repr_obj(struct rctx *c, raddr_t obj, int level);
void repr_unreadable(struct rctx *c, struct pyspy_err *e);
size_t repr_room(const struct rctx *c);

void repr_sequence(struct rctx *c, raddr_t obj, int level, bool tuple);
void repr_dict(struct rctx *c, raddr_t obj, int level);
void repr_set(struct rctx *c, raddr_t obj, int level, bool frozen);
void repr_instance(struct rctx *c, raddr_t obj, const struct type_info *ti, int level);
void repr_module(struct rctx *c, raddr_t obj);

#endif
