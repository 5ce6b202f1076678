/* A small front end to the SQLite library (the amalgamation sqlite3.c): runs every
 * statement of the SQL file argv[1] on an in-memory database and prints each result row as
 * the sqlite3 shell's list mode does (columns joined by '|', NULL as an empty field), so
 * its output can be compared with the shell's. Errors print "error: MESSAGE" and the run
 * goes on; the exit status is the number of failed statements (at most 100).
 *
 * tests/build.rs compiles it with SQLite's sources (from the npm package sqlite3@5.1.7,
 * which carries SQLite 3.44.2's autoconf release), as it builds the shell itself. */
#include <stdio.h>
#include <stdlib.h>
#include "sqlite3.h"

static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  size_t cap = 1 << 16, len = 0;
  char *buf = malloc(cap);
  size_t n;
  while (buf && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
    len += n;
    if (cap - len < 2) {
      cap *= 2;
      buf = realloc(buf, cap);
    }
  }
  fclose(f);
  if (buf)
    buf[len] = 0;
  return buf;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s FILE.sql\n", argv[0]);
    return 100;
  }
  char *sql = read_file(argv[1]);
  if (!sql) {
    perror(argv[1]);
    return 100;
  }
  sqlite3 *db;
  if (sqlite3_open(":memory:", &db) != SQLITE_OK) {
    printf("error: open: %s\n", sqlite3_errmsg(db));
    return 100;
  }
  int failed = 0;
  const char *rest = sql;
  while (*rest) {
    sqlite3_stmt *st = NULL;
    const char *tail = NULL;
    if (sqlite3_prepare_v2(db, rest, -1, &st, &tail) != SQLITE_OK) {
      printf("error: %s\n", sqlite3_errmsg(db));
      failed++;
      break; /* the rest cannot be split reliably */
    }
    rest = tail;
    if (!st)
      continue; /* whitespace or a comment */
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      int n = sqlite3_column_count(st);
      for (int i = 0; i < n; i++) {
        const unsigned char *v = sqlite3_column_text(st, i);
        printf("%s%s", i ? "|" : "", v ? (const char *)v : "");
      }
      printf("\n");
    }
    if (rc != SQLITE_DONE) {
      printf("error: %s\n", sqlite3_errmsg(db));
      failed++;
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  free(sql);
  return failed > 100 ? 100 : failed;
}
