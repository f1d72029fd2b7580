/*
 * Triggerfish plugin ABI, version 1.
 *
 * A Triggerfish plugin is a shared library that implements one or more
 * actions ("<plugin>.<action>", e.g. "ticket.add_tags"). This header is the
 * whole contract between the server (the host) and a plugin. It is plain C so
 * that a plugin can be written in any language that can export a C symbol;
 * C++ authors normally use <triggerfish/sdk.h>, which implements it for them.
 *
 * Only C types cross the boundary: NUL-terminated or (pointer, length) UTF-8
 * strings carrying JSON, fixed-width integers and opaque handles. Nothing
 * allocated on one side is ever freed on the other: data flows out of a
 * function through a tf_sink, which the receiving side provides and which
 * copies the bytes into memory the receiver owns.
 *
 * Loading (what the host does, in this order):
 *   1. dlopen the module with RTLD_NOW | RTLD_LOCAL.
 *   2. Resolve the data symbol TF_PLUGIN_ENTRY_SYMBOL ("tf_plugin_entry_v1"),
 *      a `const void*` holding the address of a tf_plugin_entry_fn (this is
 *      the Boost.DLL alias convention; TF_PLUGIN_DEFINE_ENTRY below emits it
 *      from C). Call it once; it returns a pointer to a static descriptor.
 *   3. Check magic == TF_PLUGIN_MAGIC, struct_size large enough for the
 *      declared abi_minor, abi_major == the host's, abi_minor <= the host's,
 *      non-NULL init/destroy and per-action execute, every action type
 *      prefixed by "<name>.", no type served by two plugins, and that the
 *      config schema and every params schema are valid JSON Schemas (draft 7).
 *      Their "pattern" and "patternProperties" expressions are matched with
 *      RE2, in time linear in the string: ECMA 262 syntax without
 *      backreferences or lookaround, which refuse the plugin at load.
 *   4. Validate the plugin's configuration against config_schema and call
 *      init once. Then execute is called any number of times, from any number
 *      of threads at once, until destroy.
 * The host never unloads a module: objects and code of a plugin may be used
 * until the process exits.
 *
 * Versioning: structs that carry a struct_size only ever grow at the end.
 * A reader checks struct_size before touching a member added by a later
 * minor version. abi_major changes only when that rule cannot be kept.
 *
 * JSON documents exchanged (all members optional unless stated):
 *   Ticket: {"id","subject","description",
 *            "status": "new|open|pending|on_hold|solved|closed",
 *            "priority": "low|normal|high|urgent", "type", "channel",
 *            "tags": [string], "requester": {"id","email","name","organization"},
 *            "assignee_id","group_id","created_at","updated_at" (RFC 3339),
 *            "custom_fields": {"key": any JSON}}
 *   Event:  {"id","type","occurred_at" (RFC 3339),"actor",
 *            "comment": {"id","body","public": bool,"author_id"},
 *            "payload": any JSON (events emitted by a timer carry the payload
 *                       given to schedule_timer)}
 *   Result: {"ticket_patch": Patch, "output": any JSON, "message": string}
 *   Patch:  {"set": {"subject"|"status"|"priority"|"type"|"assignee_id"|
 *                    "group_id": string},
 *            "add_tags": [string], "remove_tags": [string],
 *            "custom_fields": {"key": value, "removed_key": null}}
 *           A null custom field value removes that field.
 *   Agent (directory): {"id","name","email","available": bool,
 *            "max_open_tickets": integer (0 = no limit), "skills": [string]}
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ABI version implemented by this header. */
#define TF_ABI_MAJOR 1
#define TF_ABI_MINOR 0

/* "TFPL" in ASCII: the first member of every plugin descriptor. */
#define TF_PLUGIN_MAGIC 0x5446504Cu

/* Name of the exported entry data symbol (see step 2 above). */
#define TF_PLUGIN_ENTRY_SYMBOL "tf_plugin_entry_v1"

/* Outcome of init and execute. */
typedef enum tf_result_code {
  /* Success. */
  TF_OK = 0,
  /* Transient failure (timeout, 5xx, connection refused): the host may retry
   * a deferred action later with the same operation id. */
  TF_RETRYABLE = 1,
  /* Failure that retrying will not fix (bad params, 4xx, a bug): the host
   * never retries. */
  TF_PERMANENT = 2
} tf_result_code;

/* How the host runs an action. */
typedef enum tf_action_mode {
  /* Fast and local (no network): runs inside the trigger cycle; its ticket
   * patch applies to the working ticket before the next action runs. */
  TF_MODE_INLINE = 1,
  /* Side effects on the outside world: queued durably and executed later by a
   * worker, at least once, with retries on TF_RETRYABLE. */
  TF_MODE_DEFERRED = 2
} tf_action_mode;

typedef enum tf_log_level {
  TF_LOG_TRACE = 0,
  TF_LOG_DEBUG = 1,
  TF_LOG_INFO = 2,
  TF_LOG_WARN = 3,
  TF_LOG_ERROR = 4
} tf_log_level;

/* Outcome of a host API call. */
typedef enum tf_host_status {
  TF_HOST_OK = 0,
  /* state_get: no value under that key. */
  TF_HOST_NOT_FOUND = 1,
  /* state_compare_and_set: the current value differs from the expected one;
   * state_increment: the current value is not a base-10 int64. */
  TF_HOST_CONFLICT = 2,
  /* Malformed argument: empty key, payload that is not JSON, bad context. */
  TF_HOST_INVALID_ARGUMENT = 3,
  /* Transient host failure (storage busy); the action should usually
   * return TF_RETRYABLE. */
  TF_HOST_UNAVAILABLE = 4,
  /* The host does not offer this call here (e.g. a NULL or stale context). */
  TF_HOST_UNSUPPORTED = 5
} tf_host_status;

/* Opaque handles. Hosts and plugins never define these structs; each side
 * casts a pointer to its own object. */
typedef struct tf_host tf_host;                       /* the host, see tf_host_api */
typedef struct tf_exec_ctx tf_exec_ctx;               /* one execution of an action */
typedef struct tf_plugin_instance tf_plugin_instance; /* what init returned */

/* A byte receiver provided by whoever wants the data. `write` appends
 * [data, data + size) to the receiver's buffer (copying it; the caller keeps
 * ownership of `data`) and returns 0, or returns non-zero if the receiver
 * refuses (e.g. over its size limit); the writer must then stop writing and
 * treat the operation as failed. A sink is valid only for the duration of the
 * call it was passed to and must be used on that call's thread. */
typedef struct tf_sink {
  void* opaque;
  int32_t (*write)(void* opaque, const char* data, size_t size);
} tf_sink;

/* A borrowed (pointer, length) UTF-8 string; not NUL-terminated. data may be
 * NULL only if size is 0. */
typedef struct tf_str {
  const char* data;
  size_t size;
} tf_str;

/*
 * Services the host offers a plugin. Passed to init; the pointer and the
 * table stay valid until destroy returns. Members are only ever appended:
 * read struct_size before using a member a later minor version added.
 *
 * Threading: every function may be called from any thread concurrently,
 * except that a tf_exec_ctx may only be used on the thread that received it,
 * during the execute call that received it.
 *
 * Context-bound functions (state_*, *_timer, directory_*): the host derives
 * the tenant, the plugin and the unit of work (transaction) from `ctx`.
 * State keys and timer keys are namespaced per (tenant, plugin); two plugins
 * or two tenants never see each other's keys. Writes made during an inline
 * action commit atomically with the event that caused them and are discarded
 * if the event is not committed (e.g. a dry-run evaluation); reads observe
 * earlier writes of the same unit of work. Keys are 1..256 bytes of UTF-8.
 */
typedef struct tf_host_api {
  /* sizeof(tf_host_api) as known by the host that filled it in. */
  uint32_t struct_size;
  /* Host ABI version. */
  uint32_t abi_major;
  uint32_t abi_minor;
  /* Opaque host handle; pass it back to log and now_unix_micros. */
  tf_host* host;

  /* Writes one log line, attributed to the calling plugin. Callable from
   * init, execute and destroy. Never fails. */
  void (*log)(tf_host* host, int32_t level, const char* message, size_t size);

  /* The host's current time, microseconds since the Unix epoch. Plugins must
   * use it instead of the system clock so that tests can control time. */
  int64_t (*now_unix_micros)(tf_host* host);

  /* Reads the value stored under `key` into `value_out`. Returns TF_HOST_OK
   * (value written, possibly empty), TF_HOST_NOT_FOUND (nothing written),
   * or an error. Values are opaque bytes; the C++ SDK stores JSON text. */
  int32_t (*state_get)(tf_exec_ctx* ctx, tf_str key, tf_sink* value_out);

  /* Stores `value` under `key`, replacing any previous value. A value with
   * data == NULL deletes the key (deleting a missing key is TF_HOST_OK). */
  int32_t (*state_put)(tf_exec_ctx* ctx, tf_str key, tf_str value);

  /* Atomically replaces the value under `key` with `desired` if the current
   * value equals `*expected` byte for byte, or, when `expected` is NULL, if
   * the key is absent. Returns TF_HOST_OK if it did, TF_HOST_CONFLICT if
   * not (nothing changed). */
  int32_t (*state_compare_and_set)(tf_exec_ctx* ctx, tf_str key, const tf_str* expected,
                                   tf_str desired);

  /* Atomically adds `delta` to the integer stored under `key` (absent = 0),
   * stores the sum as base-10 text and writes it to `*new_value`. Returns
   * TF_HOST_CONFLICT if the current value is not a base-10 int64 or the sum
   * overflows. */
  int32_t (*state_increment)(tf_exec_ctx* ctx, tf_str key, int64_t delta, int64_t* new_value);

  /* Schedules a durable timer bound to the ticket being processed. When the
   * host's clock reaches `due_unix_micros`, the host emits an event of type
   * `event_type` for that ticket whose "payload" member is `payload_json`
   * (a JSON document; empty means null) and runs the rules for it. A timer
   * with the same key (per tenant and plugin) is replaced. The timer
   * survives restarts; it is committed with the current unit of work. */
  int32_t (*schedule_timer)(tf_exec_ctx* ctx, tf_str key, int64_t due_unix_micros,
                            tf_str event_type, tf_str payload_json);

  /* Cancels the timer with that key. Cancelling a missing timer is
   * TF_HOST_OK. */
  int32_t (*cancel_timer)(tf_exec_ctx* ctx, tf_str key);

  /* Writes the agents of group `group_id` to `agents_out` as a JSON array of
   * Agent objects (see top of file), ordered by agent id. An unknown group
   * yields "[]". Read-only. */
  int32_t (*directory_group_agents)(tf_exec_ctx* ctx, tf_str group_id, tf_sink* agents_out);

  /* Stores the number of tickets in status new/open/pending/on_hold assigned
   * to `agent_id` in `*count` (0 for an unknown agent). Read-only. */
  int32_t (*directory_agent_open_ticket_count)(tf_exec_ctx* ctx, tf_str agent_id, int64_t* count);
} tf_host_api;

/* Everything an action execution receives. Grows only at the end. All
 * pointers are borrowed for the duration of the execute call. */
typedef struct tf_execute_request {
  /* sizeof(tf_execute_request) as known by the host. */
  uint32_t struct_size;
  /* 1 for the first attempt; deferred actions count up on retries. */
  uint32_t attempt;
  /* Handle for the context-bound host API functions. */
  tf_exec_ctx* ctx;
  /* The action's params from the rule, already validated against the
   * action's params schema: a JSON object. */
  tf_str params_json;
  /* The working ticket (Ticket JSON), including patches applied by earlier
   * inline actions of the same event. */
  tf_str ticket_json;
  /* The event being processed (Event JSON). */
  tf_str event_json;
  /* Identifies this action instance: identical on every retry of one
   * deferred action, distinct otherwise. Use it to deduplicate side effects
   * (e.g. as the e-mail Message-ID). */
  tf_str operation_id;
  /* When the host stops waiting, host clock, Unix microseconds; 0 = none.
   * A result delivered after it is discarded as TF_RETRYABLE. */
  int64_t deadline_unix_micros;
} tf_execute_request;

/* Runs one action. Writes a Result JSON object to `result` (it may write
 * nothing, which means "{}") and returns a tf_result_code; on failure the
 * result's "message" explains why. Must not throw, longjmp or exit.
 * Thread safety: called concurrently from many threads with the same
 * `instance`; the plugin synchronises any shared state itself. Inline
 * actions must return quickly and must not do network I/O. The host calls
 * execute on threads it can give up: a call still running at its deadline
 * has failed and is abandoned (its thread is left to it until it returns);
 * whatever it does through its context afterwards is discarded or refused
 * (TF_HOST_UNAVAILABLE). When an inline action is abandoned, the host runs
 * the event's trigger cycle again without it, so the inline actions before
 * it are called a second time for the same event (same operation id); their
 * context-bound effects of the abandoned run are discarded. */
typedef int32_t (*tf_execute_fn)(tf_plugin_instance* instance, const tf_execute_request* request,
                                 tf_sink* result);

/* Creates the plugin instance. `config_json` is a JSON object already
 * validated against config_schema ("{}" when the operator gave none).
 * `host` stays valid until destroy returns. On success stores a handle (may
 * be NULL) in `*instance` and returns TF_OK; otherwise writes a
 * human-readable reason to `error` and returns TF_PERMANENT or TF_RETRYABLE.
 * Called once, before any execute, on one thread. */
typedef int32_t (*tf_init_fn)(const tf_host_api* host, const char* config_json, size_t config_size,
                              tf_plugin_instance** instance, tf_sink* error);

/* Releases the instance. Called once, after every execute has returned; the
 * host API table must not be used afterwards. */
typedef void (*tf_destroy_fn)(tf_plugin_instance* instance);

/* One action. Static storage; must stay valid for the life of the module. */
typedef struct tf_action_descriptor {
  /* sizeof(tf_action_descriptor) as known by the plugin. */
  uint32_t struct_size;
  /* A tf_action_mode. */
  int32_t mode;
  /* "<plugin>.<action>", NUL-terminated; [a-z0-9_] segments. */
  const char* type;
  /* One-line human description, NUL-terminated (may be ""). */
  const char* description;
  /* JSON Schema (draft 7) of the params object, NUL-terminated. */
  const char* params_schema;
  /* Required. */
  tf_execute_fn execute;
} tf_action_descriptor;

/* The plugin. Static storage; must stay valid for the life of the module. */
typedef struct tf_plugin_descriptor {
  /* TF_PLUGIN_MAGIC. */
  uint32_t magic;
  /* sizeof(tf_plugin_descriptor) as known by the plugin. */
  uint32_t struct_size;
  /* TF_ABI_MAJOR / TF_ABI_MINOR of the header the plugin was built with. */
  uint32_t abi_major;
  uint32_t abi_minor;
  /* Plugin name ([a-z0-9_]+), the prefix of every action type. */
  const char* name;
  /* Plugin version, e.g. "1.2.0". */
  const char* version;
  /* Free text identifying the build (compiler, SDK version, commit). */
  const char* build_info;
  /* JSON Schema (draft 7) of the configuration object, NUL-terminated. */
  const char* config_schema;
  /* Required. */
  tf_init_fn init;
  tf_destroy_fn destroy;
  /* action_count pointers to action descriptors. */
  const tf_action_descriptor* const* actions;
  size_t action_count;
} tf_plugin_descriptor;

/* Returns the plugin's descriptor; called once by the host, may be called
 * again and must return the same pointer. Must not fail. */
typedef const tf_plugin_descriptor* (*tf_plugin_entry_fn)(void);

/* For plugins written in C: exports `fn` (a tf_plugin_entry_fn) under
 * TF_PLUGIN_ENTRY_SYMBOL, exactly as BOOST_DLL_ALIAS does for C++. */
#define TF_PLUGIN_DEFINE_ENTRY(fn) \
  __attribute__((visibility("default"))) const void* tf_plugin_entry_v1 = (const void*)(fn)

#ifdef __cplusplus
} /* extern "C" */
#endif
