/*++
 * NAME
 *	json 3h
 * SUMMARY
 *	writing JSON lines
 * DESCRIPTION
 *	Just enough to print one JSON object per line: json_str() appends
 *	a quoted, escaped string (or null for a NULL pointer), json_key()
 *	appends a key and its colon after a comma when needed. Invalid
 *	UTF-8 is replaced by U+FFFD so the output always parses.
 *--*/
#ifndef BG_JSON_H
#define BG_JSON_H

#include <stdbool.h>
#include "buf.h"

struct json {
	struct buf *out;
	int	 n;			/* members written so far */
};

void	json_begin(struct json *, struct buf *);
void	json_end(struct json *);
void	json_str(struct buf *, const char *);
void	json_member_str(struct json *, const char *, const char *);
void	json_member_int(struct json *, const char *, long long);
void	json_member_bool(struct json *, const char *, bool);
void	json_member_null(struct json *, const char *);
void	json_member_raw(struct json *, const char *, const char *);

#endif
