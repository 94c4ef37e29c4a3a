/**
 * The seam between the memory-BIO adapter ({@link Ssl}) and a TLS protocol
 * implementation. An engine is sans-IO: it never touches a socket or a timer.
 * Encrypted bytes go in through {@link TlsEngine.receive}; everything the
 * engine produces leaves through the {@link EngineSink} callbacks, synchronously,
 * before the call that produced it returns.
 *
 * Nothing here is specific to one engine: bytes are `Uint8Array`, certificates
 * are DER, names are the IANA/OpenSSL ones.
 *
 * @module
 */

/** Which end of the connection an engine plays. */
export type Role = "client" | "server";

/** Protocol versions by their OpenSSL names. */
export type ProtocolVersion = "TLSv1" | "TLSv1.1" | "TLSv1.2" | "TLSv1.3";

/**
 * Everything an engine needs to know, shared by every engine.
 *
 * @example Mutual TLS with ALPN: the server requires a client certificate
 * ```ts
 * import { createTls13Engine, issueCertificate, Ssl, type TlsConfig } from "@ssl-nonblock/tls";
 * import assert from "node:assert/strict";
 *
 * const ca = issueCertificate({ commonName: "Example CA", keyType: "ecdsa", isCA: true });
 * const serverCert = issueCertificate({ commonName: "localhost", keyType: "ecdsa", issuer: ca, dnsNames: ["localhost"] });
 * const clientCert = issueCertificate({ commonName: "alice", keyType: "ecdsa", issuer: ca, extKeyUsage: ["clientAuth"] });
 *
 * const clientConfig: TlsConfig = {
 *   role: "client",
 *   serverName: "localhost", // SNI, and the name the server's certificate must carry
 *   caCertificates: [ca.certPem],
 *   certificateChain: clientCert.certPem,
 *   privateKey: clientCert.keyPem,
 *   alpnProtocols: ["h2", "http/1.1"],
 * };
 * const serverConfig: TlsConfig = {
 *   role: "server",
 *   certificateChain: serverCert.certPem,
 *   privateKey: serverCert.keyPem,
 *   caCertificates: [ca.certPem],
 *   requireClientCertificate: true,
 *   alpnProtocols: ["http/1.1"],
 * };
 * const client = new Ssl(createTls13Engine, clientConfig);
 * const server = new Ssl(createTls13Engine, serverConfig);
 * client.handshake();
 * while (client.wbio.pending > 0 || server.wbio.pending > 0) {
 *   server.rbio.write(client.wbio.read());
 *   server.handshake();
 *   client.rbio.write(server.wbio.read());
 *   client.handshake();
 * }
 * assert.equal(server.info?.peerCertificates.length, 1);
 * assert.equal(server.info?.serverName, "localhost");
 * assert.equal(client.info?.alpn, "http/1.1");
 * ```
 */
export interface TlsConfig {
  /** Which end this is. */
  role: Role;
  /** Our certificate chain, PEM, leaf first (server: required; client: for mutual TLS). */
  certificateChain?: string;
  /** The private key that matches the leaf of {@link certificateChain}, PEM. */
  privateKey?: string;
  /** Trust anchors, PEM (one or more certificates per string). */
  caCertificates?: string[];
  /**
   * Client: verify the server's chain and host name (default true).
   * Server: verify a client certificate if one is presented.
   */
  verifyPeer?: boolean;
  /** Server: ask the client for a certificate. */
  requestClientCertificate?: boolean;
  /** Server: fail the handshake when the client presents no valid certificate. */
  requireClientCertificate?: boolean;
  /**
   * Client: the host name sent as SNI and checked against the certificate.
   * A verifying client must set it, or set {@link verifyHostname} to false.
   */
  serverName?: string;
  /**
   * Client: check the server's certificate against {@link serverName}
   * (default true). Without a serverName the handshake fails unless this is
   * false: skipping the check is never a silent default.
   */
  verifyHostname?: boolean;
  /** ALPN protocols in preference order. */
  alpnProtocols?: string[];
  /** Lowest protocol version this end accepts. */
  minVersion?: ProtocolVersion;
  /** Highest protocol version this end accepts. */
  maxVersion?: ProtocolVersion;
  /** Receives NSS key log lines (SSLKEYLOGFILE format), only when the user asked for it. */
  keyLog?: (line: string) => void;
  /** Clock used for certificate validity checks (tests pin it). */
  now?: () => Date;
}

/** What the handshake settled on; available once it completes (see the {@link TlsConfig} example). */
export interface ConnectionInfo {
  /** The protocol version. */
  protocol: ProtocolVersion;
  /** Cipher suite, IANA name, e.g. `TLS_AES_128_GCM_SHA256`. */
  cipher: string;
  /** Key exchange group, e.g. `x25519`, when the protocol has one. */
  group?: string;
  /** Signature scheme the peer used in CertificateVerify, when known. */
  signatureScheme?: string;
  /** The peer's certificate chain, DER, leaf first (empty when none was sent). */
  peerCertificates: Uint8Array[];
  /** The negotiated ALPN protocol. */
  alpn?: string;
  /** Server: the SNI the client sent. */
  serverName?: string;
}

/**
 * One line of protocol tracing, for `--state`/`--msg` style output.
 *
 * @example One line of text per event
 * ```ts
 * import type { TraceEvent } from "@ssl-nonblock/tls";
 * import assert from "node:assert/strict";
 *
 * function line(e: TraceEvent): string | undefined {
 *   switch (e.kind) {
 *     case "state":
 *       return `SSL state: ${e.text}`;
 *     case "message":
 *       return `${e.direction === "in" ? "<<<" : ">>>"} ${e.name} [length ${e.length}]`;
 *     case "record":
 *       return `${e.direction === "in" ? "<<<" : ">>>"} record ${e.contentType} [length ${e.length}]`;
 *     default:
 *       return undefined; // secrets and bytes: only traced when asked for
 *   }
 * }
 * assert.equal(line({ kind: "message", direction: "out", name: "ClientHello", length: 508 }), ">>> ClientHello [length 508]");
 * ```
 */
export type TraceEvent =
  | { kind: "state"; text: string }
  | {
    kind: "message";
    direction: "in" | "out";
    /** Handshake message name, e.g. `ClientHello`, or `ChangeCipherSpec`/`Alert`. */
    name: string;
    length: number;
    detail?: string;
  }
  | {
    kind: "record";
    direction: "in" | "out";
    /** Outer content type name, e.g. `handshake`, `application_data`. */
    contentType: string;
    version: number;
    length: number;
    /** The whole record, header included; only for a consumer that asked for bytes ({@link EngineSink.traceSecrets}). */
    bytes?: Uint8Array;
  }
  // The kinds below carry secrets or decrypted bytes: emitted only when
  // {@link EngineSink.traceSecrets} is set (for `--trace-html`).
  | {
    /** The inner plaintext of one protected record (RFC 8446 §5.2), after decryption or before encryption. */
    kind: "plaintext";
    direction: "in" | "out";
    /** The record's outer header: content type name and length, to match it with its `record` event. */
    outerType: string;
    outerLength: number;
    /** The real (inner) content type name. */
    contentType: string;
    content: Uint8Array;
    /** Zero bytes of padding after the inner content type. */
    padding: number;
  }
  | {
    /** One step of the key schedule (RFC 8446 §7.1; the TLS 1.2 PRF, RFC 5246 §8.1). */
    kind: "secret";
    /** The RFC's name, e.g. `client_handshake_traffic_secret`. */
    name: string;
    value: Uint8Array;
    /** How it was derived, in the RFC's notation. */
    derivation: string;
    /** The transcript hash the derivation used, when it used one. */
    transcriptHash?: Uint8Array;
  }
  | {
    /** New record protection for one direction (RFC 8446 §7.3). */
    kind: "keys";
    direction: "read" | "write";
    cipher: string;
    /** The traffic secret the key and IV come from. */
    secret: Uint8Array;
    key: Uint8Array;
    iv: Uint8Array;
  }
  | {
    /** Application data crossing the TLS object: decrypted for the program (`in`) or given to encrypt (`out`). */
    kind: "data";
    direction: "in" | "out";
    bytes: Uint8Array;
  }
  | {
    /** The connection failed: the alert and why. */
    kind: "failure";
    alert: string;
    /** We sent the alert / the peer sent it. */
    sent: boolean;
    received: boolean;
    reason: string;
  };

/**
 * Where an engine delivers what it produces. All calls are synchronous.
 *
 * @example An engine driven directly, without {@link Ssl}
 * ```ts
 * import { createTls13Engine } from "@ssl-nonblock/tls";
 * import assert from "node:assert/strict";
 *
 * const toPeer: Uint8Array[] = [];
 * const engine = createTls13Engine({ role: "client", serverName: "example.com" }, {
 *   outgoing: (bytes) => toPeer.push(bytes),
 *   plaintext: () => {},
 * });
 * engine.start();
 * assert.equal(toPeer[0][0], 22); // a handshake record: the ClientHello
 * assert.equal(engine.handshakeDone, false);
 * ```
 */
export interface EngineSink {
  /**
   * Encrypted bytes for the peer (goes to the wbio). The sink keeps them
   * as given, unless it declares {@link copiesOutgoing}.
   */
  outgoing(bytes: Uint8Array): void;
  /**
   * The sink copies what {@link outgoing} is given before returning (as
   * `Ssl` does into its wbio), so the engine may build its next output in
   * the same buffer instead of a new one per call. Off by default.
   */
  readonly copiesOutgoing?: boolean;
  /** Decrypted application data from the peer. */
  plaintext(bytes: Uint8Array): void;
  /** Optional protocol tracing. */
  trace?(event: TraceEvent): void;
  /**
   * The tracer also wants secrets and decrypted bytes (`plaintext`, `secret`,
   * `keys` events). Off by default: nothing is computed or copied for them.
   */
  readonly traceSecrets?: boolean;
}

/**
 * A TLS protocol implementation seen from the adapter.
 *
 * Errors: a fatal problem makes {@link receive} (or another call) throw a
 * `TlsError` (lib/ssl/alerts.ts); the alert to send, if any, has already been passed to
 * {@link EngineSink.outgoing}. After that the engine is dead: further calls
 * throw the same error.
 *
 * @example A fatal error: garbage instead of a ServerHello
 * ```ts
 * import { Alert, createTls13Engine, TlsError } from "@ssl-nonblock/tls";
 * import assert from "node:assert/strict";
 *
 * const toPeer: Uint8Array[] = [];
 * const engine = createTls13Engine({ role: "client", serverName: "example.com" }, {
 *   outgoing: (bytes) => toPeer.push(bytes),
 *   plaintext: () => {},
 * });
 * engine.start();
 * assert.throws(
 *   () => engine.receive(new TextEncoder().encode("HTTP/1.1 400 Bad Request\r\n")),
 *   (e) => e instanceof TlsError && e.sent && e.alert === Alert.unexpected_message,
 * );
 * ```
 */
export interface TlsEngine {
  /** Client: emit the first flight (ClientHello). Server: nothing to do. */
  start(): void;
  /**
   * Feed encrypted bytes from the peer; any amount, split anywhere. The
   * caller may reuse `bytes` once this returns: an engine copies whatever
   * it keeps (a partial record).
   */
  receive(bytes: Uint8Array): void;
  /** Encrypt application data; only valid once {@link handshakeDone}. */
  send(bytes: Uint8Array): void;
  /** Send close_notify (our direction ends; we may still receive). */
  close(): void;
  /** The handshake has completed on our side. */
  readonly handshakeDone: boolean;
  /** The peer sent close_notify. */
  readonly peerClosed: boolean;
  /** Negotiated parameters, once {@link handshakeDone}. */
  readonly info: ConnectionInfo | undefined;
}

/**
 * Builds an engine for one connection.
 *
 * @example A factory that wraps another, counting the encrypted bytes it sends
 * ```ts
 * import { createTls13Engine, type EngineFactory, Ssl } from "@ssl-nonblock/tls";
 * import assert from "node:assert/strict";
 *
 * let sent = 0;
 * const counting: EngineFactory = (config, sink) =>
 *   createTls13Engine(config, {
 *     ...sink,
 *     outgoing: (bytes) => {
 *       sent += bytes.length;
 *       sink.outgoing(bytes);
 *     },
 *   });
 * const ssl = new Ssl(counting, { role: "client", serverName: "example.com" });
 * ssl.handshake();
 * assert.equal(sent, ssl.wbio.pending);
 * ```
 */
export type EngineFactory = (config: TlsConfig, sink: EngineSink) => TlsEngine;
