/*
 * test_weights.c — weighted profiles (cpu mode: µs of CPU per sample) and
 * the per-task descriptor table the sampler reads them through.
 *
 * Weights, not sample counts, make the top rows, the tree and the folded
 * file; samples are still counted beside them; merging refuses to add µs of
 * CPU to sample counts.  taskstat: the table grows past any fixed size,
 * reads this process's own threads' schedstat, and closes what a sweep
 * drops.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/export/export.h"
#include "engine/os/taskstat.h"
#include "engine/profile/profile.h"
#include "engine/strtab.h"
#include "unit.h"

static struct strtab strs;

static struct py_frame fr(const char *name, int line)
{
	struct py_frame f = { 0 };
	f.qualname = f.function = strtab_intern(&strs, name, strlen(name));
	f.file = strtab_intern(&strs, "w.py", 4);
	f.line = line;
	return f;
}

/* A cpu profile: thread 1 in hot() weighs 9000 µs over 3 samples, thread 2
 * in cold() 1000 µs over 7 samples. */
static struct profile *cpu_profile(void)
{
	struct profile *p = profile_new();
	struct py_frame hot[2] = { fr("hot", 2), fr("main", 1) }, cold[2] = { fr("cold", 3), fr("main", 1) };
	profile_meta(p)->unit = PROF_UNIT_CPU_US;
	for (int i = 0; i < 3; i++)
		CHECK_INT(profile_add(p, 1, 11, "a", hot, 2, 3000, (uint64_t)i), 0);
	for (int i = 0; i < 7; i++)
		CHECK_INT(profile_add(p, 2, 12, "b", cold, 2, i == 0 ? 994 : 1, (uint64_t)(10 + i)), 0);
	return p;
}

static void test_top_weights(void)
{
	struct profile *p = cpu_profile();
	struct prof_row *rows;
	size_t n;
	CHECK_INT(profile_samples(p), 10);
	CHECK_INT(profile_weight(p), 10000);
	CHECK_INT(profile_top(p, PROF_BY_FUNCTION, &rows, &n), 0);
	CHECK_INT(n, 3);
	CHECK_STR(rows[0].qualname, "hot");   /* fewer samples, more CPU */
	CHECK_INT(rows[0].own, 9000);
	CHECK_INT(rows[0].own_samples, 3);
	CHECK_STR(rows[1].qualname, "cold");
	CHECK_INT(rows[1].own, 1000);
	CHECK_INT(rows[1].own_samples, 7);
	CHECK_STR(rows[2].qualname, "main");
	CHECK_INT(rows[2].total, 10000);
	CHECK_INT(rows[2].total_samples, 10);
	free(rows);
	CHECK_STR(profile_unit_name(profile_meta(p)->unit), "cpu_us");
	profile_free(p);
}

static void test_folded_weights(void)
{
	struct profile *p = cpu_profile();
	char path[] = "/tmp/pyspy-weights-XXXXXX", line[256];
	int fd = mkstemp(path);
	unsigned long long total = 0;
	CHECK(fd >= 0);
	close(fd);
	CHECK_INT(export_folded(p, path, NULL, NULL), 0);
	FILE *f = fopen(path, "r");
	CHECK(f != NULL);
	while (f && fgets(line, sizeof(line), f))
		total += strtoull(strrchr(line, ' ') + 1, NULL, 10);
	if (f)
		fclose(f);
	unlink(path);
	CHECK_INT(total, 10000);
	profile_free(p);
}

static void test_merge_units(void)
{
	struct profile *cpu = cpu_profile(), *wall = profile_new(), *empty = profile_new();
	struct py_frame one[1] = { fr("main", 1) };
	CHECK_INT(profile_add(wall, 1, 11, "a", one, 1, 1, 0), 0);
	CHECK_INT(profile_merge(cpu, wall), -PS_EARG);
	CHECK_INT(profile_merge(wall, cpu), -PS_EARG);
	CHECK_INT(profile_samples(cpu), 10);          /* a refused merge changes nothing */
	CHECK_INT(profile_merge(empty, cpu), 0);      /* an empty profile takes the unit */
	CHECK_INT(profile_meta(empty)->unit, PROF_UNIT_CPU_US);
	CHECK_INT(profile_merge(empty, cpu), 0);
	CHECK_INT(profile_weight(empty), 20000);
	CHECK_INT(profile_samples(empty), 20);
	profile_free(cpu);
	profile_free(wall);
	profile_free(empty);
}

static int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	for (struct dirent *de; d && (de = readdir(d));)
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static void test_taskstat(void)
{
	struct taskstat ts;
	int fds = count_fds();
	pid_t me = getpid();
	taskstat_init(&ts, me);
	struct taskstat_entry *en = taskstat_get(&ts, me);
	CHECK(en != NULL);
	if (taskstat_has_cpu(&ts)) {
		volatile unsigned long x = 0;
		CHECK_INT(taskstat_cpu(&ts, en, 1), 0);
		CHECK(!en->have_base);                     /* just opened: no baseline */
		uint64_t before = en->cpu_ns;
		for (unsigned long i = 0; i < 20000000ul; i++)
			x += i;
		en->have_base = true;
		CHECK_INT(taskstat_cpu(&ts, en, 2), 0);
		CHECK(en->cpu_ns > before && en->have_base);
	}
	CHECK_INT(taskstat_state(&ts, en, 3), 'R');
	/* 1000 tids (none of them ours but the first): the table grows, unknown tasks read as gone */
	for (pid_t t = 1; t <= 1000; t++)
		CHECK(taskstat_get(&ts, me + t) != NULL);
	CHECK(ts.n == 1001 && ts.cap >= 2002);
	CHECK_INT(taskstat_get(&ts, me)->tid, me);
	CHECK_INT(taskstat_state(&ts, taskstat_get(&ts, me + 7), 4), 0);
	for (int r = 0; r < 3; r++) {
		taskstat_get(&ts, me);
		taskstat_sweep(&ts, 2);
	}
	CHECK_INT(ts.n, 1);                             /* only the task asked about each round */
	CHECK_INT(taskstat_get(&ts, me)->tid, me);
	CHECK(count_fds() <= fds + 2);
	taskstat_release(&ts);
	CHECK_INT(count_fds(), fds);
}

int main(void)
{
	strtab_init(&strs);
	test_top_weights();
	test_folded_weights();
	test_merge_units();
	test_taskstat();
	strtab_release(&strs);
	return unit_done();
}
