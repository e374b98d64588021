/* Design files: INI (libinih) checked against a declared schema.
 *
 * Every key is declared once, by the model that reads it, with its type,
 * range and a one-line doc.  Values come from, in order: the built-in default
 * design of the machine (designs/default-<arch>.ini, embedded at build time,
 * where each value carries a comment naming its source), the user's --design
 * file(s), then --set section.key=value.  Later sources override earlier ones.
 * Models read their values once at set-up, never on a hot path. */
#ifndef HVSIM_CORE_CFG_H
#define HVSIM_CORE_CFG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum cfg_type { CFG_U64, CFG_BOOL, CFG_DOUBLE, CFG_ENUM };

struct cfg_key {
	const char *section;
	const char *name;
	enum cfg_type type;
	double min, max;        /* inclusive range for CFG_U64 and CFG_DOUBLE */
	const char *choices;    /* CFG_ENUM: "nvhe|vhe" */
	const char *doc;        /* one line */
};

struct cfg;

struct cfg *cfg_new(void);
void cfg_free(struct cfg *c);

/* Adds keys to the schema.  Declaring the same section.name twice is a
 * programming error reported with err_set (returns -1). */
int cfg_declare(struct cfg *c, const struct cfg_key *keys, size_t n);

/* Parses INI text.  `origin` names it in errors and in provenance ("designs/x.ini").
 * Errors (first one wins, returns -1, err_set):
 *   "<origin>:<line>: unknown key 'section.name'"
 *   "<origin>:<line>: section.name: 'abc' is not an unsigned integer"
 *   "<origin>:<line>: section.name: 5000 is outside [1, 4096]"
 *   "<origin>:<line>: section.name: 'x' is not one of nvhe|vhe"
 *   "<origin>:<line>: syntax error"
 * cfg_load_file also: "<path>: a FIFO, not a regular file" (any non-regular
 * file: it could block or never end), "<path>: larger than 1024 KiB, the
 * limit for a design file", "<path>:<line>: NUL byte: not a text file".
 * A key given twice in one text: the last wins, with a warning on stderr
 * "<origin>:<line>: section.name already set at line <n>; this value wins".
 * Integers accept decimal, 0x hex and an optional k/M/G suffix (powers of 1024);
 * booleans true/false/yes/no/on/off/1/0. */
int cfg_load_file(struct cfg *c, const char *path);
int cfg_load_string(struct cfg *c, const char *origin, const char *text);
/* "section.name=value" from the command line; errors start "--set section.name: ...".
 * The same key set again by --set (with no file in between): the last wins,
 * with a warning naming the winning value. */
int cfg_set(struct cfg *c, const char *assignment);
/* Every declared key has a value; otherwise "no value for section.name" (-1). */
int cfg_check_complete(const struct cfg *c);

/* Accessors: the key must be declared with that type (programming error
 * otherwise: message to stderr and exit(70)). */
uint64_t cfg_u64(const struct cfg *c, const char *section, const char *name);
bool cfg_bool(const struct cfg *c, const char *section, const char *name);
double cfg_double(const struct cfg *c, const char *section, const char *name);
/* CFG_ENUM: index of the chosen value within `choices` */
unsigned cfg_enum(const struct cfg *c, const char *section, const char *name);

/* One line per key, grouped by section, in declaration order:
 *   section.name = value   (type, range)  doc   [origin]
 * with_origin adds where each value was set (file:line or --set). */
void cfg_list(const struct cfg *c, FILE *out, bool with_origin);
/* The effective design as an INI file that loads back to the same values. */
void cfg_write_ini(const struct cfg *c, FILE *out);

#endif
