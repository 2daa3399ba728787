/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control socket: how pantryctl asks the running daemon to do something
 * (order, confirm, cancel, tare, span, record a trace) or to say how it is. A
 * local UNIX stream socket (default /run/pantry-agent/control.sock), one request
 * per connection: the client sends one JSON object on one line (at most
 * CONTROL_LINE_MAX bytes, then "\n"), the server answers one JSON line and
 * closes. The protocol is documented for people in agent/PANTRYCTL.md.
 *
 *   {"cmd":"ping"}                              {"cmd":"status"}
 *   {"cmd":"order","item":"rice"}               {"cmd":"confirm","item":"rice"}
 *   {"cmd":"cancel","item":"rice"}              {"cmd":"tare","item":"rice"}
 *   {"cmd":"span","item":"rice","grams":500.0}  {"cmd":"record","seconds":60}
 *   {"cmd":"reset-learning","item":"rice"}
 *   {"cmd":"away"}  {"cmd":"away","remove":3}
 *   {"cmd":"away","from":1797800000,"until":1798900000,"arrive":"after"}
 *   {"cmd":"refused","item":"rice"}  {"cmd":"refused","item":"rice","reason":"damaged"}
 *
 *   {"ok":true,"message":"...","data":...}      ("data" optional, any JSON)
 *   {"ok":false,"error":"EPERM","message":"..."}
 *
 * Requests are untrusted input and parsed strictly: every key required by the
 * command and no other, the right JSON types, item ids of [a-z0-9_-]{1,31},
 * grams in 0.001..1000000, seconds in 1..86400 (an integer), away's from and
 * until together (integers, from < until, arrive "after" or "before" optional)
 * or remove alone (an integer >= 1), refused's reason (optional) 1 to
 * CONTROL_REASON_MAX - 1 bytes of UTF-8 text, nesting no deeper
 * than 4, no control characters, one line of at most CONTROL_LINE_MAX bytes.
 * A rejected request is answered {"ok":false,"error":"EINVAL",...} with a
 * message saying what to fix; the handler never sees it.
 *
 * Access control is the socket file's, nothing else: control_listen() creates
 * it with mode 0660, owned by the daemon's user and group. The service runs as
 * its own user (pantry-agent) with the household's group (e.g. pantry) as its
 * group, or in a setgid directory of that group (systemd: RuntimeDirectory=
 * pantry-agent, Group=pantry); whoever may write to the socket may order and
 * cancel. Nobody else can connect (EACCES). The daemon does not authenticate
 * peers further, so the directory holding the socket must not be writable by
 * others (a stale socket in it is removed and replaced).
 *
 * Errors: functions return 0 (or what is said) or a negative errno. Handlers
 * return negative errnos too, which travel as their names ("EPERM", "ETIME",
 * ...: control_error_name()). Nothing is printed here.
 */
#ifndef PANTRY_AGENT_CONTROL_H
#define PANTRY_AGENT_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cJSON;

/* A request line at most (the "\n" not counted). */
#define CONTROL_LINE_MAX 4096
/* A response line at most (the status of CFG_MAX_ITEMS items fits easily). */
#define CONTROL_RESPONSE_MAX 65536
/* JSON nesting of a request at most (the object itself is level 1). */
#define CONTROL_DEPTH_MAX 4
/* Item ids: [a-z0-9_-], 1..31 bytes (like the configuration's). */
#define CONTROL_ITEM_MAX 32
/* Messages of responses, with their NUL; longer ones are cut. */
#define CONTROL_MSG_MAX 512
/* span: known weight in mg, 1 (0.001 g) .. 10^9 (1000 kg). */
#define CONTROL_SPAN_MIN_MG INT64_C(1)
#define CONTROL_SPAN_MAX_MG INT64_C(1000000000)
/* record: seconds, 1 .. 1 day. */
#define CONTROL_RECORD_MIN_S 1
#define CONTROL_RECORD_MAX_S 86400
/* refused: the household's reason, with its NUL (120 bytes of text at most). */
#define CONTROL_REASON_MAX 121

enum control_cmd {
    CONTROL_PING,           /* is the daemon there? */
    CONTROL_STATUS,         /* data: {"items": [views], "link": {...}} (status.h) */
    CONTROL_ORDER,          /* item: order it now */
    CONTROL_CONFIRM,        /* item: confirm its planned order */
    CONTROL_CANCEL,         /* item: cancel its open order (cancel window) */
    CONTROL_TARE,           /* item: the platform as it is now becomes zero */
    CONTROL_SPAN,           /* item, known_mg: that much is on the platform now */
    CONTROL_RECORD,         /* seconds: record a trace; data: {"path": ...} */
    CONTROL_RESET_LEARNING, /* item: forget what corrections taught (learn.h) */
    CONTROL_AWAY,           /* from_s, until_s, before: add an away period; remove:
                        remove one; neither: list them (data) */
    CONTROL_REFUSED,        /* item, reason (may be ""): its delivery was refused at the
                        door (pipeline_refused()) */
};
#define CONTROL_CMD_COUNT 11
/* away: times in seconds since the epoch, 0 .. 9999-12-31T23:59:59Z; ids
 * 1 .. 2^53 - 1. */
#define CONTROL_TIME_MAX_S INT64_C(253402300799)
#define CONTROL_AWAY_ID_MAX INT64_C(9007199254740991)

struct control_request {
    enum control_cmd cmd;
    char item[CONTROL_ITEM_MAX];     /* order .. span; "" otherwise */
    int64_t known_mg;                /* span: grams * 1000, rounded; 0 otherwise */
    int64_t seconds;                 /* record; 0 otherwise */
    int64_t from_s, until_s;         /* away (add): from < until; 0 otherwise */
    bool before;                     /* away (add): "arrive":"before" */
    int64_t remove;                  /* away: the period to remove; 0 otherwise */
    char reason[CONTROL_REASON_MAX]; /* refused: "" for none given */
};

/* "ping", "status", "order", ...; "?" for anything else. */
const char *control_cmd_to_str(enum control_cmd c);

/*
 * The name of a negative errno as sent in "error" ("EPERM" for -EPERM, and
 * EACCES EAGAIN EALREADY EBUSY ECANCELED EEXIST EINVAL EIO ENODATA ENOENT ENOSPC
 * ENOTSUP EPROTO ERANGE EROFS ESTALE ETIME ETIMEDOUT); "EIO" for any other code.
 */
const char *control_error_name(int err);

/* The negative errno named name (the list above), or -EIO for other names. */
int control_error_from_name(const char *name);

/*
 * Parse one request line: len bytes at line (not NUL-terminated; a final "\n",
 * or "\r\n", is allowed and ignored). Returns 0 with *out filled (unused fields
 * zero), or -EINVAL with a message for the sender in err ("unknown key \"x\"",
 * ...) and *out zeroed, or -E2BIG for a line over CONTROL_LINE_MAX. err may be
 * NULL when errlen is 0.
 */
int control_parse_request(const char *line, size_t len, struct control_request *out,
                          char *err, size_t errlen);

/*
 * The request as its line, "\n" included, NUL-terminated in buf. Returns the
 * length (without the NUL), -EINVAL for a request control_parse_request() would
 * refuse (a bad item id, known_mg or seconds out of range), -ENOSPC when len is
 * too small (CONTROL_LINE_MAX + 2 always suffices).
 */
int control_format_request(const struct control_request *r, char *buf, size_t len);

/*
 * What the daemon does with a parsed request: returns 0 on success or a
 * negative errno (-EPERM refused, -ETIME too late, -EEXIST already open,
 * -EAGAIN try again, -ERANGE platform moved, -ENOENT unknown item, ...), with a
 * sentence for the person in msg (msglen bytes, NUL-terminated) either way. It
 * may set *data (initially NULL) to a cJSON it created (any type); the server
 * sends it as "data" (on success only) and frees it in every case.
 */
typedef int (*control_handler_fn)(void *ctx, const struct control_request *req,
                                  char *msg, size_t msglen, struct cJSON **data);

/*
 * Create the listening socket at path (at most 107 bytes; the directory must
 * exist) with mode 0660 (umask set around bind(): not safe while other threads
 * create files), backlog 16, non-blocking and close-on-exec. A stale socket at
 * path (nothing answers on it) is removed first; a live one is -EADDRINUSE (is
 * another daemon running?), anything else at path -EEXIST (not removed).
 * Returns 0 with the descriptor in *fd_out (the caller closes it and unlinks
 * path), or a negative errno with a message in err.
 */
int control_listen(const char *path, int *fd_out, char *err, size_t errlen);

/*
 * Serve at most one client: accept one pending connection (none: return 0 at
 * once), read its line, parse it, call fn (or answer the parse error), write
 * the answer and close. Reading and writing share one deadline of timeout_ms
 * (>= 1) from the accept: a client that is slow, sends nothing, sends too much
 * or does not read its answer is dropped, so this never blocks longer than
 * timeout_ms plus the time fn takes. Returns 1 when a client was served (or
 * dropped), 0 when none was pending, or a negative errno when accept() failed
 * otherwise (-EMFILE, ...: the caller logs it and goes on).
 */
int control_serve(int listen_fd, control_handler_fn fn, void *ctx, int timeout_ms);

/* A response as the client reads it. */
struct control_response {
    bool ok;
    char error[32];                /* "" when ok, else "EPERM", ... */
    char message[CONTROL_MSG_MAX]; /* cut if longer */
    struct cJSON *data;            /* owned, NULL if none: control_response_fini() */
};

/*
 * Send req to the daemon at path and read its answer into *resp, all within
 * timeout_ms. Returns 0 with *resp filled (resp->ok says whether the daemon did
 * it), or a negative errno with a message in err and *resp empty: -ENOENT or
 * -ECONNREFUSED (no daemon listening), -EACCES (not allowed to use the
 * socket), -ETIMEDOUT (no answer in time), -EPROTO (an answer that is not the
 * protocol), -EINVAL (a bad request), -ENAMETOOLONG (path).
 */
int control_call(const char *path, const struct control_request *req,
                 struct control_response *resp, int timeout_ms, char *err,
                 size_t errlen);

/* Free resp->data and empty *resp; r may be NULL. */
void control_response_fini(struct control_response *r);

#endif
