/**
 * @file transport.h
 * @brief The HTTP transport port of the SCEP client (RFC 8894 §4.1), and the libcurl transport for hosts.
 *
 * The client engine (client.h) never performs I/O itself. It describes each HTTP exchange as a
 * ::scepkit_http_request (method, the query string it already built, and for POST the body) and
 * takes the answer as a ::scepkit_http_response. Either the caller performs the exchange itself
 * (firmware: scepkit_client_step() returns ::SCEPKIT_CLIENT_SEND, the next step takes the
 * response), or it hands the engine a ::scepkit_transport (ops + self, as every scepkit port) and
 * lets scepkit_client_run() call it.
 *
 * Supported:
 * - GET `?operation=OP&message=M`: the engine builds the query: for PKIOperation M is the DER
 *   pkiMessage in standard base64 with `+`, `/` and `=` percent-escaped (RFC 8894 §4.1: the
 *   URL-safe alphabet is refused by micromdm); for the other operations M is the CA identifier,
 *   percent-escaped. Queries longer than 8 KB are fine for the engine and for the curl transport (whose URL
 *   parser rewrites the escapes in lowercase hex, the same octets by RFC 3986 §2.1).
 * - POST `?operation=PKIOperation` with `Content-Type: application/x-pki-message` and the DER body.
 * - scepkit_curl_transport: HTTP and HTTPS through libcurl (Debian libcurl4-openssl-dev), total
 *   and connect timeouts, a proxy, a CA bundle (or the system store), TLS verification on by
 *   default, a response size limit (the body goes into the caller's buffer, never further).
 *
 * Not supported: HTTP authentication, redirects to other hosts (redirects are not followed),
 * cookies, chunked request bodies. The curl transport is for hosts: libcurl allocates on its own
 * heap (the library's no-malloc rule holds for scepkit's code, not for libcurl). Firmware writes
 * its own transport (examples/firmware_client.c shows one over POSIX sockets).
 *
 * Security considerations: SCEP carries its own security (signed and encrypted pkiMessages, a CA
 * pinned by fingerprint), so plain HTTP is the norm; HTTPS adds privacy of the request (subject
 * names, challenge is already encrypted). A transport must stop at its response limit: an
 * unbounded answer is a memory-exhaustion attack. The body is untrusted input.
 */
#ifndef SCEPKIT_TRANSPORT_H
#define SCEPKIT_TRANSPORT_H

#include "scepkit/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** HTTP methods the engine uses. */
typedef enum scepkit_http_method {
    SCEPKIT_HTTP_GET = 1,
    SCEPKIT_HTTP_POST = 2,
} scepkit_http_method;

/** Content type of POSTed pkiMessages (RFC 8894 §4.3). */
#define SCEPKIT_CT_PKI_MESSAGE "application/x-pki-message"

/** One exchange the engine wants performed. Views into the engine's buffers, valid until the next step. */
typedef struct scepkit_http_request {
    scepkit_http_method method;
    const char *operation;    /**< "GetCACaps", "GetCACert", "GetNextCACert", "PKIOperation" */
    const char *query;        /**< NUL-terminated, already escaped: "operation=...[&message=...]"; append to the
                                   server URL after '?' (or '&' when the URL already has a query) */
    size_t query_len;         /**< strlen(query) */
    scepkit_bytes body;       /**< POST: the DER pkiMessage (empty for GET) */
    const char *content_type; /**< POST: SCEPKIT_CT_PKI_MESSAGE; NULL for GET */
} scepkit_http_request;

/** The answer (or the failure) of one exchange. Zero-initialise, then fill. */
typedef struct scepkit_http_response {
    scepkit_err err;            /**< SCEPKIT_OK when an HTTP answer arrived; else the transport failure
                                     (SCEPKIT_ERR_TRANSPORT, _TIMEOUT, _TLS, SCEPKIT_ERR_RESPONSE_TOO_LARGE) */
    int status;                 /**< HTTP status code */
    scepkit_bytes content_type; /**< Content-Type header value as received (parameters allowed), may be empty */
    scepkit_bytes body;         /**< the body; must stay valid during the step that consumes it */
} scepkit_http_response;

/**
 * Transport operations. `exchange` performs `req` and writes the body into `buf[0..cap)`; it fills
 * `resp` (body pointing into `buf`, content_type into memory that lives as long as `self`).
 * A body longer than `cap` is SCEPKIT_ERR_RESPONSE_TOO_LARGE. The return value is the same as
 * `resp->err`. HTTP statuses other than 200 are not errors of the transport (the engine decides).
 */
typedef struct scepkit_transport_ops {
    scepkit_err (*exchange)(void *self, const scepkit_http_request *req, uint8_t *buf, size_t cap,
                            scepkit_http_response *resp);
} scepkit_transport_ops;

/** A transport: ops plus the implementation's context. */
typedef struct scepkit_transport {
    const scepkit_transport_ops *ops;
    void *self;
} scepkit_transport;

/**
 * Builds `operation=OP[&message=M]` into `out` (NUL-terminated, `*len` without the NUL).
 * With `binary` set, `message` is DER and is written as standard base64, percent-escaped
 * (PKIOperation over GET); otherwise `message` is text and every byte outside RFC 3986's
 * unreserved set is percent-escaped. An empty `message` omits the parameter.
 * @return SCEPKIT_OK, SCEPKIT_ERR_BUFFER_TOO_SMALL (`*len` = size needed, NUL included), SCEPKIT_ERR_ARG.
 */
SCEPKIT_API scepkit_err scepkit_http_query(const char *operation, scepkit_bytes message, int binary, char *out,
                                           size_t cap, size_t *len);

/** Size of the query scepkit_http_query() writes for a binary message of `n` bytes, NUL included (upper bound). */
#define SCEPKIT_HTTP_QUERY_MAX(n) (40 + 3 * 4 * (((size_t)(n) + 2) / 3) + 1)

/**
 * True when the media type of `content_type` (before any ';', whitespace and case ignored) is
 * `expected`.
 */
SCEPKIT_API int scepkit_http_content_type_is(scepkit_bytes content_type, const char *expected);

/* ---------------------------------------------------------------------------------------------- */
/* libcurl transport (SCEPKIT_WITH_CURL) */

/** Options of the curl transport. Zero-initialise, then set what applies. */
typedef struct scepkit_curl_options {
    const char *url;         /**< server URL, e.g. "http://127.0.0.1:8080/scep" (required; copied by curl) */
    long timeout_ms;         /**< whole exchange; 0 = 30 s */
    long connect_timeout_ms; /**< 0 = 10 s */
    const char *proxy;       /**< e.g. "http://proxy:3128"; NULL = none (environment variables are ignored) */
    const char *ca_bundle;   /**< PEM file of trusted roots for HTTPS; NULL = the system store */
    int insecure_tls;        /**< do not verify the HTTPS server (testing only) */
    const char *user_agent;  /**< NULL = "scepkit/VERSION" */
    /** Called with each request and response when set (for --verbose); `line` is one NUL-terminated line. */
    void (*trace)(void *trace_ctx, const char *line);
    void *trace_ctx;
} scepkit_curl_options;

/** Storage for a curl transport; treat as opaque. */
typedef struct scepkit_curl_transport {
    void *curl;     /**< the CURL easy handle (reused: keep-alive) */
    void *base_url; /**< the parsed base URL (CURLU) */
    scepkit_curl_options opts;
    char content_type[128]; /**< the last response's Content-Type */
    long last_curl_code;    /**< raw CURLcode of the last failure (0 if none) */
    char last_error[256];   /**< libcurl's error text of the last failure */
} scepkit_curl_transport;

/**
 * Sets up a curl transport (calls curl_global_init once per process: call it before starting
 * threads). `opts` is copied; the strings it points to must outlive the transport.
 * @return SCEPKIT_OK, SCEPKIT_ERR_ARG (no URL, or a URL libcurl refuses), SCEPKIT_ERR_TRANSPORT (libcurl
 *         could not start), SCEPKIT_ERR_DISABLED (built without SCEPKIT_WITH_CURL).
 *         scepkit_curl_transport_free() is safe after any result.
 */
SCEPKIT_API scepkit_err scepkit_curl_transport_init(scepkit_curl_transport *t, const scepkit_curl_options *opts);

/** The transport port of an initialised curl transport. */
SCEPKIT_API scepkit_transport scepkit_curl_transport_port(scepkit_curl_transport *t);

/** Releases the curl handles. Safe on a zeroed struct and twice. */
SCEPKIT_API void scepkit_curl_transport_free(scepkit_curl_transport *t);

#ifdef __cplusplus
}
#endif
#endif
