/*
 * script_path.c — where `-x NAME.lua` and `source NAME.lua` find scripts.
 *
 * A name that exists as given (or holds a '/') is used as it is; otherwise
 * it is looked up, in order, in ~/.pyspy-sh/scripts (the user's own), the
 * installed scripts directory (PYSPY_SCRIPTS_DIR, set by the Makefile from
 * PREFIX), and the scripts/ directory beside the binary when it runs from
 * its build tree.  So `pyspy-sh -p N -x record.lua` works from anywhere,
 * and a user's copy of a shipped script wins over the shipped one.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "luabind.h"

#ifndef PYSPY_SCRIPTS_DIR
#define PYSPY_SCRIPTS_DIR "/usr/local/share/pyspy-sh/scripts"
#endif

static bool is_dir(const char *path)
{
	struct stat st;
	return path[0] && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

void script_dirs(struct script_dir dirs[SCRIPT_NDIRS])
{
	const char *home = getenv("HOME");
	char exe[PATH_MAX - 16];
	memset(dirs, 0, sizeof(struct script_dir) * SCRIPT_NDIRS);
	dirs[0].label = "current directory";
	if (!getcwd(dirs[0].path, sizeof(dirs[0].path)))
		snprintf(dirs[0].path, sizeof(dirs[0].path), ".");
	dirs[1].label = "home";
	if (home && *home)
		snprintf(dirs[1].path, sizeof(dirs[1].path), "%s/.pyspy-sh/scripts", home);
	dirs[2].label = "installed";
	snprintf(dirs[2].path, sizeof(dirs[2].path), "%s", PYSPY_SCRIPTS_DIR);
	dirs[3].label = "source tree";
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
		snprintf(dirs[3].path, sizeof(dirs[3].path), "%s/scripts", exe);
		if (!is_dir(dirs[3].path))
			dirs[3].path[0] = '\0';
	}
}

int script_find(const char *name, char *out, size_t len)
{
	struct script_dir dirs[SCRIPT_NDIRS];
	if (strchr(name, '/') || is_file(name)) {
		snprintf(out, len, "%s", name);
		return is_file(name) ? 0 : -1;
	}
	script_dirs(dirs);
	for (int i = 1; i < SCRIPT_NDIRS; i++) {
		if (!dirs[i].path[0])
			continue;
		snprintf(out, len, "%s/%s", dirs[i].path, name);
		if (is_file(out))
			return 0;
	}
	snprintf(out, len, "%s", name);
	return -1;
}

void script_summary(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	char line[512];
	buf[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *p = line;
		if (strncmp(p, "--", 2))
			break;
		p += strspn(p, "-[ \t");
		p[strcspn(p, "\r\n")] = '\0';
		if (*p) {
			snprintf(buf, len, "%s", p);
			break;
		}
	}
	fclose(f);
}
