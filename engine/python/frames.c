/*
 * frames.c — walking a thread's Python frames, one function per frame model.
 *
 *  - FRAME_MODEL_OBJECT (2.7–3.10): a linked list of heap PyFrameObjects from
 *    tstate->frame through f_back; one small read per frame.
 *  - FRAME_MODEL_CFRAME (3.11–3.12) and FRAME_MODEL_CURRENT (3.13+): a linked
 *    list of _PyInterpreterFrames through `previous`.  They live in the
 *    thread's data-stack chunks, so the used part of the current chunk is read
 *    whole (one read) and walked locally, and so is each older chunk the walk
 *    reaches (a deep stack); frames outside every chunk (generators) are read
 *    one by one.
 * Frames CPython itself hides are hidden here too: shim frames owned by the C
 * stack (3.12+) and "incomplete" frames that have not reached their first
 * traceable instruction (3.11+), exactly as sys._current_frames() does.
 * A chain read from a running target may be torn: a walk that loops, a
 * chunk frame whose caller sits above it, a freed frame object (≤3.10: no
 * references), or a chain that ends at a frame not entered from C (3.11+)
 * fails with PS_ETORN rather than handing back a stack that never existed
 * (a cut one would be a root of its own in a flame graph).
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "code.h"
#include "frames.h"

#define MAX_FRAMES 16384
#define CHUNK_PIECES 16
#define MAX_CHUNK_COPY (1u << 20)

static int push_frame(struct py_thread *th, const struct py_frame *f)
{
	if (th->nframes == th->frames_cap) {
		size_t ncap = th->frames_cap ? th->frames_cap * 2 : 32;
		struct py_frame *nv = realloc(th->frames, ncap * sizeof(*nv));
		if (!nv)
			return -1;
		th->frames = nv;
		th->frames_cap = ncap;
	}
	th->frames[th->nframes++] = *f;
	return 0;
}

#define LINE_UNKNOWN INT32_MIN

/*
 * Brent's cycle detection over a frame chain: O(1) memory, and a loop is
 * caught within about twice its length plus the tail before it.  A chain
 * read from a running target can loop for a while (a frame freed and reused
 * mid-walk) and then break; without this such a walk emitted a stack of
 * thousands of repeated frames as a valid sample (found by the churn test).
 */
struct loopcheck {
	raddr_t mark;
	size_t power, steps;
};

static bool chain_loops(struct loopcheck *lc, raddr_t addr)
{
	if (lc->power && addr == lc->mark)
		return true;
	if (++lc->steps >= lc->power) {
		lc->mark = addr;
		lc->power = lc->power ? lc->power * 2 : 1;
		lc->steps = 0;
	}
	return false;
}

/*
 * The sampler walks the same thread again and again, into the same
 * py_thread, so the previous walk's frames are still in th->frames.  A frame
 * at the same position with the same address, code object and instruction
 * resolves to the same function, file and line: copy them instead of asking
 * the code cache and the line table again.
 */
static bool reuse_frame(const struct py_thread *th, size_t prev, struct py_frame *f, raddr_t code, int byte_offset)
{
	if (th->nframes >= prev)
		return false;
	const struct py_frame *o = &th->frames[th->nframes];
	/* module code is freed once the module has run and its address reused:
	 * the code cache re-checks it (code_get), which a copy would skip for as
	 * long as the new code's frame sat on the same instruction */
	if (o->addr != f->addr || o->code != code || o->lasti != byte_offset || !o->ci || o->ci->module)
		return false;
	f->code = code;
	f->lasti = byte_offset;
	f->ci = o->ci;
	f->function = o->function;
	f->qualname = o->qualname;
	f->file = o->file;
	f->line = o->line;
	return true;
}

static void fill_from_code(struct target *t, struct py_thread *th, size_t prev, struct py_frame *f, raddr_t code,
			   int byte_offset, struct pyspy_err *e)
{
	struct code_info *ci;
	if (reuse_frame(th, prev, f, code, byte_offset))
		return;
	f->code = code;
	f->lasti = byte_offset;
	if (code_get(t, code, &ci, e) < 0) {
		f->function = f->qualname = f->file = "???";
		f->line = -1;
		f->ci = NULL;
		return;
	}
	f->ci = ci;
	f->function = ci->name;
	f->qualname = ci->qualname;
	f->file = ci->file;
	f->line = byte_offset == LINE_UNKNOWN ? -1 : code_line(ci, &t->layout, byte_offset);
}

static int walk_objects(struct target *t, const uint8_t *ts, struct py_thread *th, size_t prev, struct pyspy_err *e)
{
	const struct py_layout *L = &t->layout;
	uint8_t buf[TARGET_FRAME_MAX];
	raddr_t addr = rbuf_u64(ts, L->tstate.frame), ftype = 0;
	struct loopcheck lc = { 0 };

	while (addr) {
		struct py_frame f = { 0 };
		int rc;
		if (pyspy_interrupted)
			return err_set(e, PS_EINTR, "interrupted");
		if (th->nframes >= MAX_FRAMES)
			return err_set(e, PS_ECORRUPT, "more than %d frames: the chain loops or is corrupt", MAX_FRAMES);
		if (chain_loops(&lc, addr))
			return err_set(e, PS_ETORN, "the frame chain loops at 0x%" PRIx64 " (read while it changed)", addr);
		if ((rc = remote_read(&t->mem, addr, buf, t->iframe_len, e)) < 0)
			return rc;
		/* a frame on the stack is referenced (by its caller or the
		 * evaluation loop), and every frame has the same type; one that
		 * returned while the chain was read sits on a free list (chained
		 * through f_back, the last one with none) or as its code's zombie
		 * frame, with no references, and memory handed back holds anything:
		 * following it would end or reroute the stack */
		if (L->object.refcnt >= 0 && (size_t)L->object.refcnt + 8 <= t->iframe_len &&
		    L->object.type >= 0 && (size_t)L->object.type + 8 <= t->iframe_len) {
			uint64_t refs = rbuf_u64(buf, L->object.refcnt);
			raddr_t type = rbuf_u64(buf, L->object.type);
			if (refs == 0 || refs > (1ull << 40) || (ftype && type != ftype))
				return err_set(e, PS_ETORN, "0x%" PRIx64 " is not a live frame object (read while the stack changed)",
					       addr);
			ftype = type;
		}
		int32_t lasti;
		memcpy(&lasti, buf + L->pyframe.lasti, sizeof(lasti));
		/* 3.10 counts code units; before, bytes.  -1 means "not started": the first line. */
		int byte_offset = lasti < 0 ? -1 : lasti >= (1 << 28) ? LINE_UNKNOWN
				: L->linetable_model == LINETABLE_310 ? lasti * 2 : lasti;
		f.addr = addr;
		fill_from_code(t, th, prev, &f, rbuf_u64(buf, L->pyframe.code), byte_offset, e);
		if (push_frame(th, &f) < 0)
			return err_set(e, PS_ENOMEM, "out of memory");
		addr = rbuf_u64(buf, L->pyframe.back);
	}
	return 0;
}

/*
 * The used parts of the thread's data-stack chunks, copied: the current one
 * at the start of the walk, older ones (a deep stack spans several) only when
 * the chain reaches a frame outside what is copied.  All copies share the
 * target's one chunk buffer; a region is found by its offset in it, since
 * growing the buffer may move it.
 */
#define MAX_CHUNKS 32

struct chunk_copy {
	struct {
		raddr_t start, end;
		size_t off;
	} r[MAX_CHUNKS];
	int n;
	size_t used;               /* bytes of the chunk buffer taken */
	raddr_t older;             /* the next older chunk not copied yet; 0: none */
};

/* The target's reusable chunk buffer, with room for n bytes; NULL if it cannot grow. */
static void chunk_release(struct target *t)
{
	free(t->chunk_buf);
	t->chunk_buf = NULL;
	t->chunk_cap = 0;
}

static uint8_t *chunk_buffer(struct target *t, size_t n)
{
	if (n > t->chunk_cap) {
		size_t cap = t->chunk_cap ? t->chunk_cap : 4096;
		while (cap < n)
			cap *= 2;
		uint8_t *b = realloc(t->chunk_buf, cap);
		if (!b)
			return NULL;
		if (!t->chunk_buf)
			target_on_detach(t, chunk_release);
		t->chunk_buf = b;
		t->chunk_cap = cap;
	}
	return t->chunk_buf;
}

/* Where the chunk starting at `chunk` links to the one before it, read from its copy. */
static raddr_t copied_previous(struct target *t, const struct chunk_copy *cc, int i)
{
	const struct py_layout *L = &t->layout;
	if (L->chunk.previous < 0 || cc->r[i].end - cc->r[i].start < (raddr_t)L->chunk.previous + 8)
		return 0;
	return rbuf_u64(t->chunk_buf + cc->r[i].off, L->chunk.previous);
}

/*
 * The used part of a chunk, as whole pieces, its top first: a read of them
 * alone (copy_chunk without the read-ahead, as `bt` does) copies the frames
 * that change fastest closest in time to the pointer to the top frame.  The
 * read-ahead copies every piece of a tick in address order, joined into one
 * iovec where they touch (prefetch.c), and checks what returned meanwhile
 * afterwards (check_popped).  Pieces start at fixed offsets in the chunk, so
 * the sampler's read-ahead finds the same pieces tick after tick; all but the
 * topmost are read whole.  CPython sizes a chunk as a power of two of at least
 * 16 KiB, so a whole piece never passes its end; if one does, the caller reads
 * the used part alone.  Returns the number of pieces.
 */
#if CHUNK_PIECES + 1 + 1 + 8 > FRAMES_PLAN_MAX
#error "FRAMES_PLAN_MAX is too small for a chunk's pieces"
#endif

/* The piece size for `used` bytes: 4 KiB, doubled until CHUNK_PIECES cover them. */
static size_t piece_size(size_t used)
{
	size_t piece = 4096;
	while (piece * CHUNK_PIECES < used)
		piece *= 2;
	return piece;
}

/* The topmost piece is read only up to the top, rounded up to TOP_ROUND: a
 * 30-deep stack used 4.2 KiB, and the two whole pieces copied 8 KiB, a tenth
 * of a tick's kernel time (the copy is per byte, the rest per page).  Its
 * start stays fixed, so the read-ahead still finds it by address; its length
 * follows the deepest top of the last ticks (a longer read refetches it once). */
#define TOP_ROUND 1024

static int chunk_pieces(raddr_t chunk, raddr_t top, uint8_t *buf, struct remote_iov *iov)
{
	size_t used = top - chunk, piece = piece_size(used);
	int n = 0;
	for (size_t start = (used - 1) / piece * piece;; start -= piece) {
		size_t len = n ? piece : (used - start + TOP_ROUND - 1) / TOP_ROUND * TOP_ROUND;
		iov[n++] = (struct remote_iov){ chunk + start, buf ? buf + start : NULL, len < piece ? len : piece };
		if (!start)
			return n;
	}
}

static size_t chunk_span(raddr_t chunk, raddr_t top)
{
	size_t used = top - chunk, piece = piece_size(used);
	return (used + piece - 1) / piece * piece;
}

/*
 * Copy the used part of the current chunk; on 3.11–3.12 fetch the C-stack
 * _PyCFrame's current_frame in the same syscall.  Returns the read's status
 * for the frame pointer (the chunk copy is best effort: frames outside it are
 * found in older chunks or read one by one).
 */
static int copy_chunk(struct target *t, const uint8_t *ts, struct chunk_copy *cc, raddr_t cframe_ptr,
		      raddr_t *current, struct pyspy_err *e)
{
	const struct py_layout *L = &t->layout;
	struct remote_iov iov[1 + CHUNK_PIECES];
	int n = 0, whole = -1;
	cc->n = 0;
	cc->used = 0;
	cc->older = 0;
	if (cframe_ptr)
		iov[n++] = (struct remote_iov){ cframe_ptr, current, sizeof(*current) };
	if (L->tstate.datastack_chunk >= 0 && L->tstate.datastack_top >= 0) {
		raddr_t chunk = rbuf_u64(ts, L->tstate.datastack_chunk);
		raddr_t top = rbuf_u64(ts, L->tstate.datastack_top);
		uint8_t *buf;
		if (chunk && top > chunk && top - chunk <= MAX_CHUNK_COPY &&
		    (buf = chunk_buffer(t, chunk_span(chunk, top)))) {
			cc->r[0].start = chunk;
			cc->r[0].end = top;
			cc->r[0].off = 0;
			cc->n = 1;
			cc->used = chunk_span(chunk, top);
			whole = n;
			n += chunk_pieces(chunk, top, buf, iov + n);
		}
	}
	if (n && remote_readv(&t->mem, iov, n, NULL) == 0) {
		cc->older = cc->n ? copied_previous(t, cc, 0) : 0;
		return 0;
	}
	if (whole >= 0) {
		/* a whole piece passed the chunk's end: the used part alone */
		n = whole;
		iov[n++] = (struct remote_iov){ cc->r[0].start, t->chunk_buf, cc->r[0].end - cc->r[0].start };
		if (remote_readv(&t->mem, iov, n, NULL) == 0) {
			cc->older = copied_previous(t, cc, 0);
			return 0;
		}
	}
	/* one of them failed: drop the chunk copy, and get the frame pointer alone */
	memset(cc, 0, sizeof(*cc));
	return cframe_ptr ? remote_read_ptr(&t->mem, cframe_ptr, current, e) : 0;
}

/* Copy the next older chunk (its header says how much of it is used).
 * 0, or -1 when there is none or it cannot be read. */
static int copy_older(struct target *t, struct chunk_copy *cc)
{
	const struct py_layout *L = &t->layout;
	uint8_t hdr[64];
	raddr_t chunk = cc->older;
	size_t hlen = (size_t)L->chunk.data;
	cc->older = 0;
	if (!chunk || cc->n >= MAX_CHUNKS || L->chunk.data <= 0 || hlen > sizeof(hdr) ||
	    L->chunk.top < 0 || (size_t)L->chunk.top + 8 > hlen || L->chunk.chunk_size < 0 ||
	    (size_t)L->chunk.chunk_size + 8 > hlen)
		return -1;
	if (remote_read(&t->mem, chunk, hdr, hlen, NULL) < 0)
		return -1;
	/* an older chunk's top was saved when the next one was pushed, in slots past data */
	uint64_t top = rbuf_u64(hdr, L->chunk.top), size = rbuf_u64(hdr, L->chunk.chunk_size);
	if (top > MAX_CHUNK_COPY / 8 || hlen + top * 8 > size || hlen + top * 8 > MAX_CHUNK_COPY)
		return -1;
	size_t len = hlen + (size_t)top * 8;
	if (cc->used + len > (size_t)MAX_CHUNK_COPY * 4 || !chunk_buffer(t, cc->used + len))
		return -1;
	if (remote_read(&t->mem, chunk, t->chunk_buf + cc->used, len, NULL) < 0)
		return -1;
	int i = cc->n++;
	cc->r[i].start = chunk;
	cc->r[i].end = chunk + len;
	cc->r[i].off = cc->used;
	cc->used += len;
	cc->older = copied_previous(t, cc, i);
	return 0;
}

/* The copied region holding addr, or -1. */
static int region_of(const struct chunk_copy *cc, raddr_t addr)
{
	for (int i = 0; i < cc->n; i++)
		if (addr >= cc->r[i].start && addr < cc->r[i].end)
			return i;
	return -1;
}

/*
 * A live frame is never all zeros (its code object at least is set).  In a
 * core file it is, where the tool that wrote the core could not read the page
 * and wrote zeros instead: gdb 13's gcore does this for a whole mapping when
 * part of it cannot be read, as with the guard pages a newer glibc puts inside
 * a thread-stack mapping (madvise MADV_GUARD_INSTALL, Linux 6.13+; seen with
 * Debian's 3.14 and 3.15 and their own glibc, whose threads' bottom frames lie
 * in that mapping).  Said as it is, not as a torn read.
 */
static bool all_zero(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

static const uint8_t *iframe_bytes(struct target *t, struct chunk_copy *cc, raddr_t addr, uint8_t *buf, struct pyspy_err *e)
{
	int i = region_of(cc, addr);
	while (i < 0 && cc->older && copy_older(t, cc) == 0)
		i = region_of(cc, addr);
	/* written so a garbage addr near 2^64 cannot wrap around into the copy */
	if (i >= 0 && cc->r[i].end - cc->r[i].start >= t->iframe_len &&
	    addr - cc->r[i].start <= cc->r[i].end - cc->r[i].start - t->iframe_len)
		return t->chunk_buf + cc->r[i].off + (addr - cc->r[i].start);
	return remote_read(&t->mem, addr, buf, t->iframe_len, e) < 0 ? NULL : buf;
}

/*
 * A frame that returned keeps its bytes: popping one only moves the thread
 * state's datastack_top down to its base.  So a walk that took the top frame
 * from the thread state (or the C stack's _PyCFrame) a moment before the chunk
 * was copied can meet a frame that returned in between, with its caller
 * already at a later line: a stack the program never had (torn_deep: 22% of
 * the samples on 3.11-3.13, undetected).  The data-stack top is read once
 * more after the chunk (the read-ahead fetches it last: remote_prefetch_order),
 * and every frame of the current chunk must lie below it; one that does not
 * was popped, and the walk is torn.  A top in another chunk (the stack grew
 * into a new one, or shrank out of this one) is torn too.
 */
static int check_popped(struct target *t, const struct chunk_copy *cc, const struct py_thread *th, struct pyspy_err *e)
{
	raddr_t at = th->tstate + (raddr_t)t->layout.tstate.datastack_top, top;
	remote_prefetch_order(&t->mem, at, sizeof(top), REMOTE_LATE);
	if (remote_read_ptr(&t->mem, at, &top, NULL) < 0)
		return 0;              /* cannot say: the walk stands */
	/* the chunk's extent, from its header (copied with it); a frame pushed
	 * after the thread state was read lies past the copied part, still in it */
	const struct py_layout *L = &t->layout;
	raddr_t start = cc->r[0].start, size = MAX_CHUNK_COPY;
	if (L->chunk.chunk_size >= 0 && cc->r[0].end - start >= (raddr_t)L->chunk.chunk_size + 8) {
		raddr_t s = rbuf_u64(t->chunk_buf + cc->r[0].off, L->chunk.chunk_size);
		if (s > 0 && s <= MAX_CHUNK_COPY)
			size = s;
	}
	if (top < start || top - start > size)
		return err_set(e, PS_ETORN, "the stack moved to another chunk while it was read");
	for (size_t k = 0; k < th->nframes; k++) {
		raddr_t a = th->frames[k].addr;
		if (a >= start && a - start < size && a >= top)
			return err_set(e, PS_ETORN, "frame 0x%" PRIx64 " returned while the stack was read (the top is now 0x%" PRIx64 ")",
				       a, top);
	}
	return 0;
}

/*
 * A chain that ends (a shim with no frame before it) ends at the thread's
 * first frame, which CPython puts in the second slot of its first chunk (the
 * first stays empty so that popping it never frees the chunk: push_chunk).
 * The last frame of a walk that lies in a chunk elsewhere was reached
 * through a shim read while its C call returned: the stack was cut, and the
 * walk is torn (churn on 3.12 kept a stack rooted at Event.__init__).  A
 * last frame outside every chunk (a generator's own) is not checked; 3.15
 * ends each chain at the thread's base frame instead, checked apart.
 */
static int check_bottom(struct target *t, struct chunk_copy *cc, const struct py_thread *th, struct pyspy_err *e)
{
	const struct py_layout *L = &t->layout;
	raddr_t last = th->frames[th->nframes - 1].addr;
	if (t->version.major != 3 || t->version.minor > 14 || L->chunk.data <= 0 || L->chunk.previous < 0)
		return 0;
	int i = region_of(cc, last);
	while (i < 0 && cc->older && copy_older(t, cc) == 0)
		i = region_of(cc, last);
	if (i < 0 || cc->r[i].end - cc->r[i].start < (raddr_t)L->chunk.previous + 8)
		return 0;
	if (copied_previous(t, cc, i) != 0 || last != cc->r[i].start + (raddr_t)L->chunk.data + 8)
		return err_set(e, PS_ETORN, "the frame chain ends at 0x%" PRIx64 ", not at the bottom of the thread's "
			       "stack (read while it changed)", last);
	return 0;
}

static int walk_iframes(struct target *t, const uint8_t *ts, struct py_thread *th, size_t prev, struct pyspy_err *e)
{
	const struct py_layout *L = &t->layout;
	struct chunk_copy cc;      /* only the used regions are read: no need to zero all of r[] */
	uint8_t buf[TARGET_FRAME_MAX];
	size_t seen = 0;
	raddr_t addr;
	int rc = 0;
	struct loopcheck lc = { 0 };

	/* 3.12-3.13 mark the running frame: stacktop -1 (_PyFrame_GetStackPointer) */
	bool running = t->version.major == 3 && (t->version.minor == 12 || t->version.minor == 13) &&
		       L->iframe.stacktop >= 0 && (size_t)L->iframe.stacktop + 4 <= t->iframe_len;
	cc.n = 0;
	cc.used = 0;
	cc.older = 0;
	addr = 0;
	if (L->frame_model == FRAME_MODEL_CFRAME) {
		raddr_t cframe = rbuf_u64(ts, L->tstate.cframe);
		if (!cframe)
			return 0;
		if ((rc = copy_chunk(t, ts, &cc, cframe + (raddr_t)L->cframe.current_frame, &addr, e)) < 0)
			return rc;
	} else {
		addr = rbuf_u64(ts, L->tstate.current_frame);
		if (addr)
			copy_chunk(t, ts, &cc, 0, NULL, e);
	}

	for (; addr; seen++) {
		if (pyspy_interrupted) {
			rc = err_set(e, PS_EINTR, "interrupted");
			break;
		}
		if (seen >= MAX_FRAMES) {
			rc = err_set(e, PS_ECORRUPT, "more than %d frames: the chain loops or is corrupt", MAX_FRAMES);
			break;
		}
		if (chain_loops(&lc, addr)) {
			rc = err_set(e, PS_ETORN, "the frame chain loops at 0x%" PRIx64 " (read while it changed)", addr);
			break;
		}
		struct pyspy_err re;   /* not `= { 0 }`: 516 bytes zeroed per frame were most of a walk's time */
		err_clear(&re);
		const uint8_t *b = iframe_bytes(t, &cc, addr, buf, &re);
		if (!b) {
			rc = -re.code;
			if (e)
				*e = re;
			break;
		}
		if (t->core && all_zero(b, t->iframe_len)) {
			rc = err_set(e, PS_ECORRUPT, "frame 0x%" PRIx64 " is all zeros in the core file: the process had a frame "
				     "there that the core did not save (gdb's gcore writes zeros for a mapping it cannot read "
				     "whole, such as thread stacks with guard regions inside; a core written by the kernel has it)",
				     addr);
			break;
		}
		raddr_t previous = rbuf_u64(b, L->iframe.previous);
		/* a chunk is a stack: a caller in the same chunk sits below its callee.
		 * A link that points up was read while the stack changed */
		int here = region_of(&cc, addr);
		if (here < 0 && th->noutside < (int)(sizeof(th->outside) / sizeof(th->outside[0])))
			th->outside[th->noutside++] = addr;
		if (here >= 0 && region_of(&cc, previous) == here && previous >= addr) {
			rc = err_set(e, PS_ETORN, "frame 0x%" PRIx64 " links up its stack to 0x%" PRIx64 " (read while it changed)",
				     addr, previous);
			break;
		}
		int owner = L->iframe.owner >= 0 ? b[L->iframe.owner] : 0;
		if ((L->owner_cstack >= 0 && owner == L->owner_cstack) ||
		    (L->owner_interpreter >= 0 && owner == L->owner_interpreter)) {
			/* a shim: the frame above it was entered from C.  The first shim
			 * after a frame is the evaluation call's own; 3.15 ends every
			 * chain with one more, the thread's base frame, which is not */
			if (th->nframes) {
				struct py_frame *in = &th->frames[th->nframes - 1];
				in->entry = true;
				if (!in->entry_frame)
					in->entry_frame = addr;
			}
			addr = previous;
			continue;
		}
		raddr_t code = rbuf_u64(b, L->iframe.code) & ~(raddr_t)L->stackref_mask;
		raddr_t instr = rbuf_u64(b, L->iframe.instr);
		raddr_t code_start = code + (raddr_t)L->code.code_adaptive;
		/* a code object is far smaller than 2^28 units; a larger offset is a torn read */
		int units = instr < code_start ? -1 : instr - code_start < (1ull << 29) ? (int)((instr - code_start) / 2) : -2;
		struct py_frame f = { 0 };
		f.addr = addr;
		f.entry = L->iframe.is_entry >= 0 && b[L->iframe.is_entry];
		fill_from_code(t, th, prev, &f, code, units == -2 ? LINE_UNKNOWN : units < 0 ? -1 : units * 2, e);
		bool incomplete = f.ci && owner != L->owner_generator && units >= -1 && units < f.ci->firsttraceable;
		if (running && th->nframes && !th->frames[th->nframes - 1].entry) {
			/* it called the frame above in its own loop: it saved its stack
			 * pointer then, and a running frame has none (stacktop -1) */
			int32_t sp;
			memcpy(&sp, b + L->iframe.stacktop, sizeof(sp));
			if (sp < 0) {
				rc = err_set(e, PS_ETORN, "frame 0x%" PRIx64 " is running, yet a frame it called is above it "
					     "(read while that one returned)", addr);
				break;
			}
		}
		if (!incomplete && push_frame(th, &f) < 0) {
			rc = err_set(e, PS_ENOMEM, "out of memory");
			break;
		}
		addr = previous;
	}
	/* every thread's stack was entered from C at its bottom (3.11: is_entry;
	 * 3.12+: a shim below it): a chain that ends elsewhere was cut by a frame
	 * read while it was being pushed */
	if (rc == 0 && th->nframes && !th->frames[th->nframes - 1].entry)
		rc = err_set(e, PS_ETORN, "the frame chain ends at 0x%" PRIx64 ", a frame not entered from C (read while it changed)",
			     th->frames[th->nframes - 1].addr);
	if (rc == 0 && th->nframes && !addr)
		rc = check_bottom(t, &cc, th, e);
	if (rc == 0 && cc.n && L->tstate.datastack_top >= 0)
		rc = check_popped(t, &cc, th, e);
	return rc;
}

int frames_plan(struct target *t, raddr_t tstate, const uint8_t *ts, const struct py_thread *last,
		struct remote_iov *iov, int max)
{
	const struct py_layout *L = &t->layout;
	raddr_t lo = 0, hi = 0;
	int n = 0;
	if (L->frame_model == FRAME_MODEL_OBJECT || max < FRAMES_PLAN_MAX)
		return 0;
	if (L->frame_model == FRAME_MODEL_CFRAME) {
		raddr_t cframe = rbuf_u64(ts, L->tstate.cframe);
		if (!cframe)
			return 0;
		iov[n++] = (struct remote_iov){ cframe + (raddr_t)L->cframe.current_frame, NULL, 8 };
		remote_prefetch_order(&t->mem, iov[n - 1].addr, 8, REMOTE_EARLY);
	}
	if (L->tstate.datastack_chunk >= 0 && L->tstate.datastack_top >= 0) {
		raddr_t chunk = rbuf_u64(ts, L->tstate.datastack_chunk);
		raddr_t top = rbuf_u64(ts, L->tstate.datastack_top);
		if (chunk && top > chunk && top - chunk <= MAX_CHUNK_COPY) {
			n += chunk_pieces(chunk, top, NULL, iov + n);
			lo = chunk;
			hi = chunk + chunk_span(chunk, top);
		}
	}
	/* the data-stack top again, fetched after the chunk (check_popped) */
	if (lo && n < max) {
		raddr_t at = tstate + (raddr_t)L->tstate.datastack_top;
		remote_prefetch_order(&t->mem, at, 8, REMOTE_LATE);
		iov[n++] = (struct remote_iov){ at, NULL, 8 };
	}
	/* frames the last walk read outside the chunk: generators' own, and on
	 * 3.15 the thread's base frame */
	for (int k = 0; last && k < last->noutside && n < max; k++)
		if (last->outside[k] < lo || last->outside[k] >= hi) {
			/* with the pointer to the top frame: on 3.12 the shim sits next
			 * to it on the C stack, and the two join into one iovec */
			iov[n++] = (struct remote_iov){ last->outside[k], NULL, t->iframe_len };
			remote_prefetch_order(&t->mem, last->outside[k], t->iframe_len, REMOTE_EARLY);
		}
	return n;
}

int frames_walk(struct target *t, const uint8_t *tstate, struct py_thread *th, struct pyspy_err *e)
{
	size_t prev = th->frames ? th->nframes : 0;
	th->nframes = 0;
	th->noutside = 0;
	/* the layout sizes both reads; attach refuses one that does not fit, this
	 * guards targets made offline (tests, fuzzing) */
	if (!t->tstate_len || !t->iframe_len || t->iframe_len > TARGET_FRAME_MAX)
		return err_set(e, PS_EUNSUP, "no usable frame layout");
	if (t->layout.frame_model == FRAME_MODEL_OBJECT)
		return walk_objects(t, tstate, th, prev, e);
	return walk_iframes(t, tstate, th, prev, e);
}
