/* sh: a small POSIX-style shell for the guest's console (and for the host: it builds with
 * any C compiler on Linux).
 *
 *   sh               interactive when standard input is a terminal (prompt "$ " on
 *                    stderr, job control); otherwise reads a script from standard input
 *                    one line at a time, without a prompt
 *   sh -c SCRIPT     runs SCRIPT
 *   sh FILE          runs the script in FILE
 *
 * Grammar: lists of and-or lists separated by ';', '&' or newlines; '&&' and '||';
 * pipelines of any length with '|'; simple commands of words and redirections ('<', '>',
 * '>>', 'N<', 'N>', 'N>>', 'N>&M', '>&M', '2>&1'); assignments VAR=value before the
 * command name (alone: shell variables; with a command: its environment). Words: single
 * and double quotes, backslash, $?, $!, $$, $#, $0, $NAME and ${NAME}; unquoted
 * expansions are split into fields at blanks. No globbing, no functions, no control
 * structures (if, while, for), no subshells or command substitution: such input is taken
 * as plain words.
 *
 * Builtins: cd, pwd, echo [-n], exit, export, wait [%N|PID...], fg [%N], bg [%N], jobs,
 * kill [-SIG|-s SIG] PID|%N..., true, false, ':'. Other commands are looked up in $PATH
 * (/bin when unset).
 *
 * Job control is on when standard input is a terminal (interactive, and also for -c and
 * script files then, so that `malloc_1 & cat /proc/$!/maps; fg` can bring the job to the
 * foreground): each pipeline is a process group; the foreground one gets the terminal
 * (tcsetpgrp) and the shell takes it back when the job ends or stops. The shell ignores
 * SIGTTOU, SIGTTIN and SIGTSTP, and SIGQUIT when interactive; there SIGINT at the prompt
 * drops the line typed so far and shows a new prompt. Messages about
 * jobs ("[1] PID", "[1]+  Stopped ...", "[1]+  Done ...") are printed only when
 * interactive, as bash prints them. Without job control an asynchronous command's
 * standard input is /dev/null, as POSIX requires. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_TOKENS 512
#define MAX_WORDS 128
#define MAX_REDIRS 16
#define MAX_CMDS 32
#define MAX_JOBS 32
#define MAX_VARS 256

extern char **environ;

/* ---- variables ---- */

struct var {
  char *name;
  char *value;
  int exported;
};
static struct var vars[MAX_VARS];
static int nvars;

static struct var *find_var(const char *name, size_t len) {
  for (int i = 0; i < nvars; i++)
    if (strlen(vars[i].name) == len && memcmp(vars[i].name, name, len) == 0)
      return &vars[i];
  return NULL;
}

static void set_var(const char *name, size_t len, const char *value, int export) {
  struct var *v = find_var(name, len);
  if (!v) {
    if (nvars == MAX_VARS) {
      fprintf(stderr, "sh: too many variables\n");
      return;
    }
    v = &vars[nvars++];
    v->name = strndup(name, len);
    v->value = NULL;
    v->exported = 0;
  }
  if (value) {
    free(v->value);
    v->value = strdup(value);
  }
  if (export)
    v->exported = 1;
}

static const char *get_var(const char *name, size_t len) {
  struct var *v = find_var(name, len);
  return v && v->value ? v->value : NULL;
}

/* ---- shell state ---- */

static int last_status;   /* $? */
static long last_bg = -1; /* $! */
static int job_control;   /* jobs get their own process groups and the terminal */
static int interactive;   /* prompt and job messages */
static pid_t shell_pgid;
static const char *arg0 = "sh";

enum job_state { RUNNING, STOPPED, DONE };

struct job {
  int id; /* 0: free slot */
  pid_t pgid;
  pid_t pids[MAX_CMDS];
  int status[MAX_CMDS]; /* wait statuses */
  int state[MAX_CMDS];
  int n;
  char *text;
  int notified; /* its stop or end was reported */
  int background;
};
static struct job jobs[MAX_JOBS];
static int current_job; /* id of the '+' job */

/* ---- tokens ---- */

enum tok_kind { T_WORD, T_SEMI, T_AMP, T_AND, T_OR, T_PIPE, T_REDIR, T_END };

struct token {
  enum tok_kind kind;
  char *text; /* T_WORD: raw (quotes kept); T_REDIR: the operator */
  int fd;     /* T_REDIR: the descriptor (-1: the operator's default) */
};

static int is_op_char(char c) {
  return c == ';' || c == '&' || c == '|' || c == '<' || c == '>' || c == '\n';
}

/* Splits `s` into tokens; returns the count, or -1 on an unterminated quote. */
static int tokenize(const char *s, struct token *t, int max) {
  int n = 0;
  while (*s && n < max - 1) {
    if (*s == ' ' || *s == '\t') {
      s++;
      continue;
    }
    if (*s == '#') {
      while (*s && *s != '\n')
        s++;
      continue;
    }
    if (*s == '\n' || *s == ';') {
      t[n++] = (struct token){T_SEMI, NULL, -1};
      s++;
      continue;
    }
    if (*s == '&') {
      if (s[1] == '&') {
        t[n++] = (struct token){T_AND, NULL, -1};
        s += 2;
      } else {
        t[n++] = (struct token){T_AMP, NULL, -1};
        s++;
      }
      continue;
    }
    if (*s == '|') {
      if (s[1] == '|') {
        t[n++] = (struct token){T_OR, NULL, -1};
        s += 2;
      } else {
        t[n++] = (struct token){T_PIPE, NULL, -1};
        s++;
      }
      continue;
    }
    /* An IO number: digits right before '<' or '>'. */
    const char *d = s;
    int fd = -1;
    while (*d >= '0' && *d <= '9')
      d++;
    if (d > s && (*d == '<' || *d == '>')) {
      fd = atoi(s);
      s = d;
    }
    if (*s == '<' || *s == '>') {
      char op[3] = {*s, 0, 0};
      s++;
      if ((op[0] == '>' && (*s == '>' || *s == '&')) || (op[0] == '<' && *s == '&')) {
        op[1] = *s;
        s++;
      }
      t[n++] = (struct token){T_REDIR, strdup(op), fd};
      continue;
    }
    /* A word, up to an unquoted blank or operator. */
    const char *start = s;
    while (*s && *s != ' ' && *s != '\t' && !is_op_char(*s)) {
      if (*s == '\\') {
        s++;
        if (*s)
          s++;
      } else if (*s == '\'') {
        const char *e = strchr(s + 1, '\'');
        if (!e)
          return -1;
        s = e + 1;
      } else if (*s == '"') {
        s++;
        while (*s && *s != '"') {
          if (*s == '\\' && s[1])
            s++;
          s++;
        }
        if (!*s)
          return -1;
        s++;
      } else {
        s++;
      }
    }
    t[n++] = (struct token){T_WORD, strndup(start, s - start), -1};
  }
  t[n] = (struct token){T_END, NULL, -1};
  return n;
}

/* ---- expansion ---- */

struct fields {
  char **v;
  int n, max;
  char *cur;
  size_t len, cap;
  int have; /* the current field exists (even if empty: "") */
};

static void f_putc(struct fields *f, char c) {
  if (f->len + 2 > f->cap) {
    f->cap = f->cap ? f->cap * 2 : 64;
    f->cur = realloc(f->cur, f->cap);
  }
  f->cur[f->len++] = c;
  f->cur[f->len] = 0;
  f->have = 1;
}

static void f_end(struct fields *f) {
  if (!f->have)
    return;
  if (f->n < f->max - 1)
    f->v[f->n++] = f->cur ? f->cur : strdup("");
  else
    free(f->cur);
  f->cur = NULL;
  f->len = f->cap = 0;
  f->have = 0;
}

/* The value of the parameter at `*s` (after the '$'), advancing `*s`; NULL when `$` is
 * not followed by a parameter (a literal '$'). */
static const char *param(const char **s, char *buf, size_t bufsize) {
  const char *p = *s;
  if (*p == '?') {
    snprintf(buf, bufsize, "%d", last_status);
    *s = p + 1;
    return buf;
  }
  if (*p == '$') {
    snprintf(buf, bufsize, "%ld", (long)getpid());
    *s = p + 1;
    return buf;
  }
  if (*p == '!') {
    if (last_bg < 0)
      buf[0] = 0;
    else
      snprintf(buf, bufsize, "%ld", last_bg);
    *s = p + 1;
    return buf;
  }
  if (*p == '#') {
    *s = p + 1;
    return "0";
  }
  if (*p == '0') {
    *s = p + 1;
    return arg0;
  }
  if (*p == '{') {
    const char *e = strchr(p, '}');
    if (!e)
      return NULL;
    *s = e + 1;
    const char *v = get_var(p + 1, e - p - 1);
    return v ? v : "";
  }
  if (*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) {
    const char *e = p;
    while (*e == '_' || (*e >= 'a' && *e <= 'z') || (*e >= 'A' && *e <= 'Z') ||
           (*e >= '0' && *e <= '9'))
      e++;
    *s = e;
    const char *v = get_var(p, e - p);
    return v ? v : "";
  }
  return NULL;
}

/* Expands the raw word `w` into fields appended to `f`. */
static void expand(const char *w, struct fields *f) {
  char buf[32];
  const char *s = w;
  while (*s) {
    if (*s == '\\') {
      s++;
      if (*s)
        f_putc(f, *s++);
    } else if (*s == '\'') {
      f->have = 1;
      s++;
      while (*s && *s != '\'')
        f_putc(f, *s++);
      if (*s)
        s++;
    } else if (*s == '"') {
      f->have = 1;
      s++;
      while (*s && *s != '"') {
        if (*s == '\\' && (s[1] == '$' || s[1] == '"' || s[1] == '\\' || s[1] == '`')) {
          f_putc(f, s[1]);
          s += 2;
        } else if (*s == '$') {
          s++;
          const char *v = param(&s, buf, sizeof buf);
          if (!v)
            f_putc(f, '$');
          else
            for (; *v; v++)
              f_putc(f, *v);
        } else {
          f_putc(f, *s++);
        }
      }
      if (*s)
        s++;
    } else if (*s == '$') {
      s++;
      const char *v = param(&s, buf, sizeof buf);
      if (!v) {
        f_putc(f, '$');
        continue;
      }
      /* Unquoted: split at blanks. */
      for (; *v; v++) {
        if (*v == ' ' || *v == '\t' || *v == '\n')
          f_end(f);
        else
          f_putc(f, *v);
      }
    } else {
      f_putc(f, *s++);
    }
  }
}

/* One word, expanded without field splitting (a redirection's target, an assignment's
 * value). */
static char *expand_one(const char *w) {
  char *argv[MAX_WORDS];
  struct fields f = {argv, 0, MAX_WORDS, NULL, 0, 0, 0};
  expand(w, &f);
  f_end(&f);
  if (f.n == 0)
    return strdup("");
  /* Rejoin split fields with spaces. */
  size_t len = 0;
  for (int i = 0; i < f.n; i++)
    len += strlen(argv[i]) + 1;
  char *r = malloc(len + 1);
  r[0] = 0;
  for (int i = 0; i < f.n; i++) {
    if (i)
      strcat(r, " ");
    strcat(r, argv[i]);
    free(argv[i]);
  }
  return r;
}

/* ---- commands ---- */

struct redir {
  int fd;
  char op[3];
  char *target; /* raw word */
};

struct cmd {
  char *words[MAX_WORDS]; /* raw words, assignments first */
  int nwords;
  struct redir r[MAX_REDIRS];
  int nr;
};

struct pipeline {
  struct cmd cmds[MAX_CMDS];
  int n;
};

static int is_assignment(const char *w) {
  if (!(*w == '_' || (*w >= 'a' && *w <= 'z') || (*w >= 'A' && *w <= 'Z')))
    return 0;
  while (*w == '_' || (*w >= 'a' && *w <= 'z') || (*w >= 'A' && *w <= 'Z') ||
         (*w >= '0' && *w <= '9'))
    w++;
  return *w == '=';
}

/* The text of tokens [from, to) for job messages. */
static char *tokens_text(struct token *t, int from, int to) {
  size_t cap = 256, len = 0;
  char *s = malloc(cap);
  s[0] = 0;
  for (int i = from; i < to; i++) {
    char piece[64];
    const char *p = piece;
    switch (t[i].kind) {
    case T_WORD:
      p = t[i].text;
      break;
    case T_PIPE:
      p = "|";
      break;
    case T_AND:
      p = "&&";
      break;
    case T_OR:
      p = "||";
      break;
    case T_REDIR:
      if (t[i].fd >= 0)
        snprintf(piece, sizeof piece, "%d%s", t[i].fd, t[i].text);
      else
        snprintf(piece, sizeof piece, "%s", t[i].text);
      break;
    default:
      continue;
    }
    size_t need = strlen(p) + 2;
    if (len + need + 1 > cap) {
      cap = (len + need + 1) * 2;
      s = realloc(s, cap);
    }
    if (len && !(t[i].kind == T_WORD && i > from && t[i - 1].kind == T_REDIR))
      s[len++] = ' ';
    strcpy(s + len, p);
    len += strlen(p);
  }
  return s;
}

/* Parses a pipeline from t[*i]; returns 0 on a syntax error. */
static int parse_pipeline(struct token *t, int *i, struct pipeline *pl) {
  pl->n = 0;
  for (;;) {
    if (pl->n == MAX_CMDS) {
      fprintf(stderr, "%s: pipeline too long\n", arg0);
      return 0;
    }
    struct cmd *c = &pl->cmds[pl->n++];
    c->nwords = c->nr = 0;
    while (t[*i].kind == T_WORD || t[*i].kind == T_REDIR) {
      if (t[*i].kind == T_WORD) {
        if (c->nwords < MAX_WORDS - 1)
          c->words[c->nwords++] = t[*i].text;
        (*i)++;
      } else {
        if (t[*i + 1].kind != T_WORD) {
          fprintf(stderr, "%s: syntax error: redirection without a file\n", arg0);
          return 0;
        }
        if (c->nr < MAX_REDIRS) {
          struct redir *r = &c->r[c->nr++];
          r->fd = t[*i].fd;
          strcpy(r->op, t[*i].text);
          r->target = t[*i + 1].text;
        }
        *i += 2;
      }
    }
    if (c->nwords == 0 && c->nr == 0) {
      fprintf(stderr, "%s: syntax error near unexpected token\n", arg0);
      return 0;
    }
    if (t[*i].kind != T_PIPE)
      return 1;
    (*i)++;
  }
}

/* ---- jobs ---- */

static struct job *job_by_id(int id) {
  for (int i = 0; i < MAX_JOBS; i++)
    if (jobs[i].id == id)
      return &jobs[i];
  return NULL;
}

static int job_done(struct job *j) {
  for (int k = 0; k < j->n; k++)
    if (j->state[k] != DONE)
      return 0;
  return 1;
}

static int job_stopped(struct job *j) {
  int stopped = 0;
  for (int k = 0; k < j->n; k++) {
    if (j->state[k] == RUNNING)
      return 0;
    if (j->state[k] == STOPPED)
      stopped = 1;
  }
  return stopped;
}

/* The exit status a wait status gives $? (128 + the signal for a signal's end or stop). */
static int status_of(int st) {
  if (WIFEXITED(st))
    return WEXITSTATUS(st);
  if (WIFSIGNALED(st))
    return 128 + WTERMSIG(st);
  if (WIFSTOPPED(st))
    return 128 + WSTOPSIG(st);
  return 0;
}

static int job_status(struct job *j) { return status_of(j->status[j->n - 1]); }

static struct job *new_job(void) {
  int id = 1;
  for (int i = 0; i < MAX_JOBS; i++)
    if (jobs[i].id >= id)
      id = jobs[i].id + 1;
  for (int i = 0; i < MAX_JOBS; i++)
    if (jobs[i].id == 0) {
      memset(&jobs[i], 0, sizeof jobs[i]);
      jobs[i].id = id;
      return &jobs[i];
    }
  return NULL;
}

static void free_job(struct job *j) {
  if (current_job == j->id)
    current_job = 0;
  free(j->text);
  j->text = NULL;
  j->id = 0;
  if (!current_job) {
    for (int i = 0; i < MAX_JOBS; i++)
      if (jobs[i].id > current_job)
        current_job = jobs[i].id;
  }
}

/* Records the wait status `st` of child `pid`. */
static void record(pid_t pid, int st) {
  for (int i = 0; i < MAX_JOBS; i++) {
    struct job *j = &jobs[i];
    if (!j->id)
      continue;
    for (int k = 0; k < j->n; k++) {
      if (j->pids[k] != pid)
        continue;
      j->status[k] = st;
      if (WIFSTOPPED(st)) {
        j->state[k] = STOPPED;
        j->notified = 0;
      } else if (WIFCONTINUED(st)) {
        j->state[k] = RUNNING;
      } else {
        j->state[k] = DONE;
        if (job_done(j))
          j->notified = 0;
      }
      return;
    }
  }
}

/* Reaps children that changed state, without waiting. */
static void reap_nohang(void) {
  int st;
  pid_t pid;
  while ((pid = waitpid(-1, &st, WNOHANG | WUNTRACED | WCONTINUED)) > 0)
    record(pid, st);
}

static void print_job(struct job *j, const char *what) {
  char mark = j->id == current_job ? '+' : '-';
  fprintf(stderr, "[%d]%c  %-24s%s\n", j->id, mark, what, j->text);
}

/* Reports (when interactive) and forgets ended background jobs; reports stopped ones. */
static void notify_jobs(void) {
  for (int i = 0; i < MAX_JOBS; i++) {
    struct job *j = &jobs[i];
    if (!j->id)
      continue;
    if (job_done(j)) {
      if (interactive && j->background && !j->notified) {
        int st = j->status[j->n - 1];
        char what[32];
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
          snprintf(what, sizeof what, "Done");
        else if (WIFEXITED(st))
          snprintf(what, sizeof what, "Exit %d", WEXITSTATUS(st));
        else
          snprintf(what, sizeof what, "%s", strsignal(WTERMSIG(st)));
        print_job(j, what);
      }
      free_job(j);
    } else if (job_stopped(j) && !j->notified) {
      if (interactive)
        print_job(j, "Stopped");
      j->notified = 1;
    }
  }
}

static void give_terminal(pid_t pgid) {
  if (job_control)
    tcsetpgrp(0, pgid);
}

/* Waits for job `j` (in the foreground) to end or stop; returns its $?. A stopped job
 * stays in the table (reported at once when interactive); an ended one is freed. */
static int wait_foreground(struct job *j) {
  while (!job_done(j) && !job_stopped(j)) {
    int st;
    pid_t pid = waitpid(-1, &st, WUNTRACED);
    if (pid < 0) {
      if (errno == EINTR)
        continue;
      break; /* ECHILD: nothing left to wait for */
    }
    record(pid, st);
  }
  give_terminal(shell_pgid);
  int status = job_status(j);
  if (job_stopped(j)) {
    current_job = j->id;
    j->background = 1;
    if (interactive) {
      fputc('\n', stderr);
      print_job(j, "Stopped");
    }
    j->notified = 1;
  } else {
    /* A job killed by SIGINT ends the line, as the terminal showed only "^C". */
    int st = j->status[j->n - 1];
    if (interactive && WIFSIGNALED(st) && WTERMSIG(st) != SIGINT && WTERMSIG(st) != SIGPIPE)
      fprintf(stderr, "%s\n", strsignal(WTERMSIG(st)));
    else if (interactive && WIFSIGNALED(st) && WTERMSIG(st) == SIGINT)
      fputc('\n', stderr);
    free_job(j);
  }
  return status;
}

/* ---- running ---- */

static int open_redirs(struct cmd *c, int save) {
  /* With `save`, the descriptors replaced are kept above 10 to be restored: returns a
   * count of them in the saved list (builtins run in the shell). */
  (void)save;
  for (int k = 0; k < c->nr; k++) {
    struct redir *r = &c->r[k];
    char *target = expand_one(r->target);
    int fd = r->fd;
    int newfd;
    if (strcmp(r->op, ">&") == 0 || strcmp(r->op, "<&") == 0) {
      if (fd < 0)
        fd = r->op[0] == '>' ? 1 : 0;
      if (strcmp(target, "-") == 0) {
        close(fd);
        free(target);
        continue;
      }
      char *end;
      long src = strtol(target, &end, 10);
      if (*end || end == target) {
        fprintf(stderr, "%s: %s: bad file descriptor number\n", arg0, target);
        free(target);
        return -1;
      }
      if (dup2((int)src, fd) < 0) {
        fprintf(stderr, "%s: %ld: %s\n", arg0, src, strerror(errno));
        free(target);
        return -1;
      }
      free(target);
      continue;
    }
    int flags;
    if (r->op[0] == '<') {
      flags = O_RDONLY;
      if (fd < 0)
        fd = 0;
    } else {
      flags = O_WRONLY | O_CREAT | (r->op[1] == '>' ? O_APPEND : O_TRUNC);
      if (fd < 0)
        fd = 1;
    }
    newfd = open(target, flags, 0666);
    if (newfd < 0) {
      fprintf(stderr, "%s: cannot open %s: %s\n", arg0, target, strerror(errno));
      free(target);
      return -1;
    }
    if (newfd != fd) {
      dup2(newfd, fd);
      close(newfd);
    }
    free(target);
  }
  return 0;
}

static int is_builtin(const char *name) {
  static const char *names[] = {"cd",   "pwd", "echo",  "exit",  "export", "wait", "fg",
                                "bg",   "jobs", "kill", "true",  "false",  ":",    NULL};
  for (int i = 0; names[i]; i++)
    if (strcmp(name, names[i]) == 0)
      return 1;
  return 0;
}

/* The job a "%N" (or "%", "%+") argument names; NULL with a message otherwise. */
static struct job *job_arg(const char *who, const char *arg) {
  struct job *j;
  if (!arg || strcmp(arg, "%") == 0 || strcmp(arg, "%+") == 0 || strcmp(arg, "%%") == 0)
    j = job_by_id(current_job);
  else if (arg[0] == '%')
    j = job_by_id(atoi(arg + 1));
  else {
    j = NULL;
    for (int i = 0; i < MAX_JOBS && !j; i++)
      if (jobs[i].id && jobs[i].pgid == atoi(arg))
        j = &jobs[i];
  }
  if (!j)
    fprintf(stderr, "%s: %s: %s: no such job\n", arg0, who, arg ? arg : "current");
  return j;
}

static const struct {
  const char *name;
  int sig;
} signames[] = {{"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"KILL", SIGKILL},
                {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},
                {"TERM", SIGTERM}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT}, {"STOP", SIGSTOP},
                {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU}, {"SEGV", SIGSEGV},
                {NULL, 0}};

static int signal_number(const char *s) {
  if (*s >= '0' && *s <= '9')
    return atoi(s);
  if (strncmp(s, "SIG", 3) == 0)
    s += 3;
  for (int i = 0; signames[i].name; i++)
    if (strcmp(s, signames[i].name) == 0)
      return signames[i].sig;
  return -1;
}

static int builtin_kill(int argc, char **argv) {
  int sig = SIGTERM, i = 1;
  if (i < argc && strcmp(argv[i], "-l") == 0) {
    for (int k = 0; signames[k].name; k++)
      printf("%s%c", signames[k].name, signames[k + 1].name ? ' ' : '\n');
    return 0;
  }
  if (i < argc && strcmp(argv[i], "-s") == 0 && i + 1 < argc) {
    sig = signal_number(argv[i + 1]);
    i += 2;
  } else if (i < argc && argv[i][0] == '-' && argv[i][1]) {
    sig = signal_number(argv[i] + 1);
    i++;
  }
  if (sig < 0) {
    fprintf(stderr, "%s: kill: bad signal\n", arg0);
    return 1;
  }
  if (i >= argc) {
    fprintf(stderr, "%s: kill: usage: kill [-s SIG | -SIG] PID|%%N...\n", arg0);
    return 2;
  }
  int ret = 0;
  for (; i < argc; i++) {
    pid_t target;
    if (argv[i][0] == '%') {
      struct job *j = job_arg("kill", argv[i]);
      if (!j) {
        ret = 1;
        continue;
      }
      target = job_control ? -j->pgid : j->pids[j->n - 1];
      if (!job_control) {
        for (int k = 0; k < j->n - 1; k++)
          kill(j->pids[k], sig);
      }
    } else {
      char *end;
      target = (pid_t)strtol(argv[i], &end, 10);
      if (*end || end == argv[i]) {
        fprintf(stderr, "%s: kill: %s: arguments must be process or job IDs\n", arg0,
                argv[i]);
        ret = 1;
        continue;
      }
    }
    if (kill(target, sig) < 0) {
      fprintf(stderr, "%s: kill: (%s) - %s\n", arg0, argv[i], strerror(errno));
      ret = 1;
    }
  }
  return ret;
}

/* fg or bg: continues job `arg` in the foreground (waiting for it) or in the background. */
static int builtin_fg_bg(int fg, const char *arg) {
  struct job *j = job_arg(fg ? "fg" : "bg", arg);
  if (!j)
    return fg ? 1 : 1;
  current_job = j->id;
  if (fg) {
    if (interactive)
      printf("%s\n", j->text);
    fflush(stdout);
    j->background = 0;
    give_terminal(j->pgid);
  } else if (interactive) {
    printf("[%d]+ %s &\n", j->id, j->text);
  }
  for (int k = 0; k < j->n; k++)
    if (j->state[k] == STOPPED)
      j->state[k] = RUNNING;
  if (job_control)
    kill(-j->pgid, SIGCONT);
  else
    for (int k = 0; k < j->n; k++)
      kill(j->pids[k], SIGCONT);
  j->notified = 0;
  if (fg)
    return wait_foreground(j);
  j->background = 1;
  return 0;
}

static int builtin_wait(int argc, char **argv) {
  if (argc == 1) {
    /* Every child. */
    for (;;) {
      int st;
      pid_t pid = waitpid(-1, &st, 0);
      if (pid < 0) {
        if (errno == EINTR)
          continue;
        break;
      }
      record(pid, st);
    }
    for (int i = 0; i < MAX_JOBS; i++)
      if (jobs[i].id && job_done(&jobs[i]))
        jobs[i].background = 0, free_job(&jobs[i]);
    return 0;
  }
  int ret = 0;
  for (int a = 1; a < argc; a++) {
    struct job *j = NULL;
    if (argv[a][0] == '%') {
      j = job_arg("wait", argv[a]);
    } else {
      pid_t pid = (pid_t)atoi(argv[a]);
      for (int i = 0; i < MAX_JOBS && !j; i++)
        for (int k = 0; k < jobs[i].n; k++)
          if (jobs[i].id && jobs[i].pids[k] == pid)
            j = &jobs[i];
    }
    if (!j) {
      ret = 127;
      continue;
    }
    while (!job_done(j)) {
      int st;
      pid_t pid = waitpid(-1, &st, 0);
      if (pid < 0) {
        if (errno == EINTR)
          continue;
        break;
      }
      record(pid, st);
    }
    ret = job_status(j);
    j->background = 0;
    free_job(j);
  }
  return ret;
}

/* Runs builtin argv[0]; returns its status. */
static int run_builtin(int argc, char **argv) {
  const char *n = argv[0];
  if (strcmp(n, "true") == 0 || strcmp(n, ":") == 0)
    return 0;
  if (strcmp(n, "false") == 0)
    return 1;
  if (strcmp(n, "echo") == 0) {
    int i = 1, newline = 1;
    if (argc > 1 && strcmp(argv[1], "-n") == 0)
      newline = 0, i = 2;
    for (; i < argc; i++) {
      fputs(argv[i], stdout);
      if (i + 1 < argc)
        fputc(' ', stdout);
    }
    if (newline)
      fputc('\n', stdout);
    fflush(stdout);
    return ferror(stdout) ? 1 : 0;
  }
  if (strcmp(n, "pwd") == 0) {
    char buf[4096];
    if (!getcwd(buf, sizeof buf)) {
      fprintf(stderr, "%s: pwd: %s\n", arg0, strerror(errno));
      return 1;
    }
    puts(buf);
    fflush(stdout);
    return 0;
  }
  if (strcmp(n, "cd") == 0) {
    const char *dir = argc > 1 ? argv[1] : get_var("HOME", 4);
    if (!dir)
      dir = "/";
    if (chdir(dir) < 0) {
      fprintf(stderr, "%s: cd: can't cd to %s\n", arg0, dir);
      return 2;
    }
    char buf[4096];
    if (getcwd(buf, sizeof buf))
      set_var("PWD", 3, buf, 1);
    return 0;
  }
  if (strcmp(n, "exit") == 0) {
    fflush(stdout);
    exit(argc > 1 ? atoi(argv[1]) & 0xff : last_status);
  }
  if (strcmp(n, "export") == 0) {
    for (int i = 1; i < argc; i++) {
      const char *eq = strchr(argv[i], '=');
      if (eq)
        set_var(argv[i], eq - argv[i], eq + 1, 1);
      else
        set_var(argv[i], strlen(argv[i]), NULL, 1);
    }
    return 0;
  }
  if (strcmp(n, "wait") == 0)
    return builtin_wait(argc, argv);
  if (strcmp(n, "fg") == 0 || strcmp(n, "bg") == 0)
    return builtin_fg_bg(n[0] == 'f', argc > 1 ? argv[1] : NULL);
  if (strcmp(n, "jobs") == 0) {
    reap_nohang();
    for (int i = 0; i < MAX_JOBS; i++) {
      struct job *j = &jobs[i];
      if (!j->id)
        continue;
      const char *what = job_done(j) ? "Done" : job_stopped(j) ? "Stopped" : "Running";
      char mark = j->id == current_job ? '+' : '-';
      printf("[%d]%c  %-24s%s\n", j->id, mark, what, j->text);
      if (job_done(j)) {
        j->notified = 1;
        free_job(j);
      } else if (job_stopped(j)) {
        j->notified = 1;
      }
    }
    fflush(stdout);
    return 0;
  }
  if (strcmp(n, "kill") == 0)
    return builtin_kill(argc, argv);
  return 127;
}

/* The environment of a command: the exported variables, with `assign` (NAME=value words,
 * expanded) overriding. */
static char **make_env(char **assign, int nassign) {
  char **env = calloc(nvars + nassign + 1, sizeof *env);
  int n = 0;
  for (int i = 0; i < nvars; i++) {
    if (!vars[i].exported || !vars[i].value)
      continue;
    int overridden = 0;
    for (int k = 0; k < nassign; k++) {
      size_t l = strchr(assign[k], '=') - assign[k];
      if (l == strlen(vars[i].name) && memcmp(assign[k], vars[i].name, l) == 0)
        overridden = 1;
    }
    if (overridden)
      continue;
    char *e = malloc(strlen(vars[i].name) + strlen(vars[i].value) + 2);
    sprintf(e, "%s=%s", vars[i].name, vars[i].value);
    env[n++] = e;
  }
  for (int k = 0; k < nassign; k++)
    env[n++] = assign[k];
  env[n] = NULL;
  return env;
}

/* In a child: execs argv with `env`, searching $PATH; does not return. */
static void exec_command(char **argv, char **env) {
  if (strchr(argv[0], '/')) {
    execve(argv[0], argv, env);
    fprintf(stderr, "%s: %s: %s\n", arg0, argv[0], strerror(errno));
    _exit(errno == ENOENT ? 127 : 126);
  }
  const char *path = get_var("PATH", 4);
  if (!path)
    path = "/bin";
  int saw_eacces = 0;
  while (*path) {
    const char *e = strchr(path, ':');
    size_t len = e ? (size_t)(e - path) : strlen(path);
    char full[4096];
    snprintf(full, sizeof full, "%.*s%s%s", (int)len, path, len ? "/" : "", argv[0]);
    execve(full, argv, env);
    if (errno == EACCES)
      saw_eacces = 1;
    path += len;
    if (*path == ':')
      path++;
  }
  if (saw_eacces) {
    fprintf(stderr, "%s: %s: Permission denied\n", arg0, argv[0]);
    _exit(126);
  }
  fprintf(stderr, "%s: %s: not found\n", arg0, argv[0]);
  _exit(127);
}

/* Expands command `c`: its fields into argv (returns argc) and its assignments into
 * assign (count in *nassign). */
static int expand_cmd(struct cmd *c, char **argv, char **assign, int *nassign) {
  int w = 0;
  *nassign = 0;
  while (w < c->nwords && is_assignment(c->words[w])) {
    const char *eq = strchr(c->words[w], '=');
    char *v = expand_one(eq + 1);
    char *a = malloc((eq - c->words[w]) + strlen(v) + 2);
    sprintf(a, "%.*s=%s", (int)(eq - c->words[w]), c->words[w], v);
    free(v);
    assign[(*nassign)++] = a;
    w++;
  }
  struct fields f = {argv, 0, MAX_WORDS, NULL, 0, 0, 0};
  for (; w < c->nwords; w++) {
    expand(c->words[w], &f);
    f_end(&f);
  }
  argv[f.n] = NULL;
  return f.n;
}

static void default_signals(void) {
  signal(SIGINT, SIG_DFL);
  signal(SIGQUIT, SIG_DFL);
  signal(SIGTSTP, SIG_DFL);
  signal(SIGTTIN, SIG_DFL);
  signal(SIGTTOU, SIG_DFL);
}

/* Runs pipeline `pl` (text `text`); `bg`: in the background. Returns its $? (0 for a
 * background one). */
static int run_pipeline(struct pipeline *pl, const char *text, int bg) {
  /* A lone builtin or assignment in the foreground runs in the shell. */
  if (pl->n == 1 && !bg) {
    struct cmd *c = &pl->cmds[0];
    char *argv[MAX_WORDS], *assign[MAX_WORDS];
    int nassign;
    int argc = expand_cmd(c, argv, assign, &nassign);
    if (argc == 0 || is_builtin(argv[0])) {
      int saved[3];
      for (int k = 0; k < 3; k++)
        saved[k] = fcntl(k, F_DUPFD_CLOEXEC, 10);
      fflush(stdout);
      int status;
      if (open_redirs(c, 1) < 0) {
        status = 1;
      } else {
        for (int k = 0; k < nassign; k++) {
          char *eq = strchr(assign[k], '=');
          if (argc == 0)
            set_var(assign[k], eq - assign[k], eq + 1, 0);
        }
        status = argc == 0 ? 0 : run_builtin(argc, argv);
      }
      fflush(stdout);
      for (int k = 0; k < 3; k++) {
        if (saved[k] >= 0) {
          dup2(saved[k], k);
          close(saved[k]);
        }
      }
      for (int k = 0; k < nassign; k++)
        free(assign[k]);
      for (int k = 0; k < argc; k++)
        free(argv[k]);
      return status;
    }
    for (int k = 0; k < nassign; k++)
      free(assign[k]);
    for (int k = 0; k < argc; k++)
      free(argv[k]);
  }
  struct job *j = new_job();
  if (!j) {
    fprintf(stderr, "%s: too many jobs\n", arg0);
    return 1;
  }
  j->text = strdup(text);
  j->background = bg;
  int in = -1;
  fflush(stdout);
  fflush(stderr);
  for (int i = 0; i < pl->n; i++) {
    int fds[2] = {-1, -1};
    if (i + 1 < pl->n && pipe(fds) < 0) {
      fprintf(stderr, "%s: pipe: %s\n", arg0, strerror(errno));
      break;
    }
    pid_t pid = fork();
    if (pid < 0) {
      fprintf(stderr, "%s: fork: %s\n", arg0, strerror(errno));
      if (fds[0] >= 0)
        close(fds[0]), close(fds[1]);
      break;
    }
    if (pid == 0) {
      if (job_control) {
        pid_t pg = j->pgid ? j->pgid : getpid();
        setpgid(0, pg);
        if (!bg)
          tcsetpgrp(0, pg);
      }
      default_signals();
      if (!job_control && bg && i == 0) {
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0 && null != 0) {
          dup2(null, 0);
          close(null);
        }
      }
      if (in >= 0) {
        dup2(in, 0);
        close(in);
      }
      if (fds[1] >= 0) {
        dup2(fds[1], 1);
        close(fds[1]);
        close(fds[0]);
      }
      struct cmd *c = &pl->cmds[i];
      char *argv[MAX_WORDS], *assign[MAX_WORDS];
      int nassign;
      int argc = expand_cmd(c, argv, assign, &nassign);
      if (open_redirs(c, 0) < 0)
        _exit(1);
      if (argc == 0)
        _exit(0);
      if (is_builtin(argv[0])) {
        int st = run_builtin(argc, argv);
        fflush(stdout);
        _exit(st);
      }
      exec_command(argv, make_env(assign, nassign));
    }
    if (job_control) {
      if (!j->pgid)
        j->pgid = pid;
      setpgid(pid, j->pgid);
    } else if (!j->pgid) {
      j->pgid = pid;
    }
    j->pids[j->n] = pid;
    j->state[j->n] = RUNNING;
    j->n++;
    if (in >= 0)
      close(in);
    if (fds[1] >= 0)
      close(fds[1]);
    in = fds[0];
  }
  if (in >= 0)
    close(in);
  if (j->n == 0) {
    free_job(j);
    return 1;
  }
  if (bg) {
    last_bg = j->pids[j->n - 1];
    current_job = j->id;
    if (interactive)
      fprintf(stderr, "[%d] %ld\n", j->id, (long)last_bg);
    return 0;
  }
  give_terminal(j->pgid);
  return wait_foreground(j);
}

/* Runs the whole of `line`. */
static void run_line(const char *line) {
  static struct token t[MAX_TOKENS];
  int n = tokenize(line, t, MAX_TOKENS);
  if (n < 0) {
    fprintf(stderr, "%s: syntax error: unterminated quoted string\n", arg0);
    last_status = 2;
    return;
  }
  static struct pipeline pl;
  int i = 0;
  while (t[i].kind != T_END) {
    if (t[i].kind == T_SEMI) {
      i++;
      continue;
    }
    /* One and-or list: find its end and whether it runs in the background. */
    int start = i, end = i;
    while (t[end].kind != T_END && t[end].kind != T_SEMI && t[end].kind != T_AMP)
      end++;
    int bg = t[end].kind == T_AMP;
    int has_andor = 0;
    for (int k = start; k < end; k++)
      if (t[k].kind == T_AND || t[k].kind == T_OR)
        has_andor = 1;
    if (bg && has_andor) {
      /* `a && b &`: a child shell runs the list. */
      char *text = tokens_text(t, start, end);
      struct job *j = new_job();
      pid_t pid = j ? fork() : -1;
      if (pid == 0) {
        if (job_control)
          setpgid(0, 0);
        job_control = interactive = 0;
        default_signals();
        char *sub = tokens_text(t, start, end);
        run_line(sub);
        fflush(stdout);
        _exit(last_status);
      }
      if (pid > 0) {
        if (job_control)
          setpgid(pid, pid);
        j->text = text;
        j->pgid = pid;
        j->pids[0] = pid;
        j->state[0] = RUNNING;
        j->n = 1;
        j->background = 1;
        last_bg = pid;
        current_job = j->id;
        if (interactive)
          fprintf(stderr, "[%d] %ld\n", j->id, (long)pid);
      } else {
        free(text);
        if (j)
          free_job(j);
      }
      last_status = 0;
      i = bg ? end + 1 : end;
      continue;
    }
    int skip = 0;
    while (i < end) {
      int pstart = i;
      if (!parse_pipeline(t, &i, &pl)) {
        last_status = 2;
        return;
      }
      char *text = tokens_text(t, pstart, i);
      if (!skip)
        last_status = run_pipeline(&pl, text, bg);
      free(text);
      if (i < end) {
        enum tok_kind op = t[i].kind;
        if (op != T_AND && op != T_OR) {
          fprintf(stderr, "%s: syntax error\n", arg0);
          last_status = 2;
          return;
        }
        i++;
        /* `a && b || c`: skipping is decided by the last status run. */
        skip = op == T_AND ? last_status != 0 : last_status == 0;
      }
    }
    i = bg ? end + 1 : end;
  }
}

/* ^C at the prompt (interactive): the line typed so far is dropped and a new prompt
 * shown, as bash does. */
static volatile sig_atomic_t interrupted;

static void on_sigint(int sig) {
  (void)sig;
  interrupted = 1;
}

/* Reads one line from `fd` a byte at a time (so that commands reading the same input
 * find the rest); NULL at end of file with nothing read; "" when ^C interrupted it. */
static char *read_line(int fd) {
  size_t cap = 256, len = 0;
  char *s = malloc(cap);
  for (;;) {
    char c;
    ssize_t r = read(fd, &c, 1);
    if (r < 0 && errno == EINTR) {
      if (interrupted) {
        interrupted = 0;
        s[0] = 0;
        return s;
      }
      continue;
    }
    if (r <= 0) {
      if (len == 0) {
        free(s);
        return NULL;
      }
      break;
    }
    if (len + 2 > cap)
      s = realloc(s, cap *= 2);
    s[len++] = c;
    if (c == '\n')
      break;
  }
  s[len] = 0;
  return s;
}

static void setup_job_control(void) {
  job_control = 1;
  /* Wait to be in the foreground, as a shell started in the background must. */
  while (tcgetpgrp(0) != getpgrp())
    kill(0, SIGTTIN);
  signal(SIGTTOU, SIG_IGN);
  signal(SIGTTIN, SIG_IGN);
  signal(SIGTSTP, SIG_IGN);
  if (interactive) {
    /* SIGINT interrupts the prompt's read (no SA_RESTART); SIGQUIT is ignored. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGQUIT, SIG_IGN);
    /* Its own process group (a session leader, such as init, already is one). */
    if (getpgrp() != getpid())
      setpgid(0, 0);
  }
  shell_pgid = getpgrp();
  tcsetpgrp(0, shell_pgid);
}

int main(int argc, char **argv) {
  for (char **e = environ; *e; e++) {
    const char *eq = strchr(*e, '=');
    if (eq)
      set_var(*e, eq - *e, eq + 1, 1);
  }
  if (!get_var("PATH", 4))
    set_var("PATH", 4, "/bin", 1);
  const char *script = NULL;
  int input = 0;
  if (argc > 2 && strcmp(argv[1], "-c") == 0) {
    script = argv[2];
    if (argc > 3)
      arg0 = argv[3];
  } else if (argc > 1 && strcmp(argv[1], "-c") == 0) {
    fprintf(stderr, "%s: -c requires an argument\n", arg0);
    return 2;
  } else if (argc > 1) {
    input = open(argv[1], O_RDONLY | O_CLOEXEC);
    if (input < 0) {
      fprintf(stderr, "%s: cannot open %s: %s\n", arg0, argv[1], strerror(errno));
      return 127;
    }
    arg0 = argv[1];
  }
  int tty = isatty(0);
  interactive = tty && !script && input == 0;
  if (tty)
    setup_job_control();
  if (script) {
    run_line(script);
    fflush(stdout);
    return last_status;
  }
  for (;;) {
    if (interactive) {
      reap_nohang();
      notify_jobs();
      fputs("$ ", stderr);
      fflush(stderr);
    } else if (job_control) {
      reap_nohang();
      notify_jobs();
    }
    char *line = read_line(input);
    if (!line)
      break;
    if (!*line && interactive) {
      fputc('\n', stderr);
      free(line);
      continue;
    }
    run_line(line);
    free(line);
    fflush(stdout);
  }
  if (interactive)
    fputc('\n', stderr);
  return last_status;
}
