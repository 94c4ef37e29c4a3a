/**
 * The server side of the TLS 1.3 handshake (RFC 8446 §2, §4). The steps, in
 * order, one method each:
 *
 * 1. `readClientHello`: decide everything (negotiation.ts). Without a usable
 *    key share, `sendHelloRetryRequest`, then `readRetriedClientHello`, which
 *    must differ from the first only as §4.1.2 permits.
 * 2. `sendServerHello` (and one dummy ChangeCipherSpec in compatibility
 *    mode); handshake traffic keys.
 * 3. `sendEncryptedExtensions`.
 * 4. `sendCertificateRequest`, when client authentication is configured.
 * 5. `sendCertificate`, `sendCertificateVerify`, `sendFinished`; application
 *    write keys.
 * 6. `readClientCertificate` and `readClientCertificateVerify`, when a
 *    certificate was requested (an empty Certificate skips the second).
 * 7. `readClientFinished`: application read keys; the handshake is complete.
 *
 * Pre-shared keys and early data offered by a client are ignored: the
 * server always runs a full (EC)DHE handshake, which RFC 8446 allows.
 *
 * @module
 */

import { Alert, TlsError } from "../../ssl/alerts.ts";
import {
  CERTIFICATE_VERIFY_SCHEMES,
  type CipherSuiteInfo,
  ExtensionType,
  HandshakeType,
  HRR_RANDOM,
  SIGNATURE_SCHEME_NAMES,
  Version,
} from "../../protocol/constants.ts";
import {
  type Credentials,
  groupName,
  type HandshakeContext,
  loadCredentials,
  type RoleHandshake,
  verifyFinished,
  verifyPeerChain,
} from "./context.ts";
import type { CompletedKeyShare } from "../../crypto/provider.ts";
import { applicationSecrets, finishedVerifyData, handshakeSecrets } from "./key_schedule.ts";
import { type Agreed, checkRetriedClientHello, negotiate, type Negotiation, type ServerPolicy } from "./negotiation.ts";
import {
  certificateVerifyContent,
  type ClientHello,
  encodeAlpn,
  encodeCertificate,
  encodeCertificateRequest,
  encodeCertificateVerify,
  encodeExtensions,
  encodeServerHello,
  encodeServerKeyShare,
  encodeU16,
  encodeU16List,
  type Extension,
  type KeyShareEntry,
  parseCertificate,
  parseCertificateVerify,
  parseClientHello,
} from "../../protocol/messages.ts";
import type {
  Established,
  ExpectClientCertificate,
  ExpectClientCertificateVerify,
  ExpectClientFinished,
  ExpectRetriedClientHello,
  ServerState,
} from "./handshake_states.ts";

/**
 * Server handshake state machine.
 */
export class ServerHandshake implements RoleHandshake {
  readonly #ctx: HandshakeContext;
  readonly #creds: Credentials;
  readonly #policy: ServerPolicy;
  #state: ServerState = { name: "ExpectClientHello" };
  #random: Uint8Array = new Uint8Array(0);
  #ccsSent = false;
  helloSeen = false;
  peerFinished = false;

  constructor(ctx: HandshakeContext) {
    this.#ctx = ctx;
    const creds = loadCredentials(ctx.config, ctx.crypto);
    if (!creds) throw new TlsError(Alert.internal_error, "a TLS server needs certificateChain and privateKey");
    this.#creds = creds;
    const { suites, groups } = ctx.options;
    this.#policy = { suites, groups, alpnProtocols: ctx.config.alpnProtocols, key: creds.key };
  }

  /** ClientHello.random, which names the secrets in key log lines. */
  get clientRandom(): Uint8Array {
    return this.#random;
  }

  start(): void {}

  handle(type: number, body: Uint8Array, raw: Uint8Array): void {
    const s = this.#state;
    switch (s.name) {
      case "ExpectClientHello":
        if (type === HandshakeType.client_hello) return this.#readClientHello(body, raw);
        break;
      case "ExpectRetriedClientHello":
        if (type === HandshakeType.client_hello) return this.#readRetriedClientHello(s, body, raw);
        break;
      case "ExpectClientCertificate":
        if (type === HandshakeType.certificate) return this.#readClientCertificate(s, body, raw);
        break;
      case "ExpectClientCertificateVerify":
        if (type === HandshakeType.certificate_verify) return this.#readClientCertificateVerify(s, body, raw);
        break;
      case "ExpectClientFinished":
        if (type === HandshakeType.finished) return this.#readClientFinished(s, body, raw);
        break;
    }
    throw new TlsError(Alert.unexpected_message, `unexpected handshake message ${type} in state ${s.name}`);
  }

  #readClientHello(body: Uint8Array, raw: Uint8Array): void {
    const ctx = this.#ctx;
    const ch = parseClientHello(body);
    this.helloSeen = true;
    const n = negotiate(ch, this.#policy);
    this.#random = ch.random.slice();
    ctx.state("TLS server read client hello");
    // We never accept early data (no resumption): the client learns it from our ServerHello.
    if (ch.earlyData) ctx.ignoreEarlyData();
    if (n.share === undefined) return this.#sendHelloRetryRequest(ch, raw, n.suite, n.retryGroup);
    ctx.transcript.select(n.suite.hash);
    ctx.transcript.add(raw);
    this.#sendServerFlight(ch, n, n.share);
  }

  #sendHelloRetryRequest(ch: ClientHello, raw: Uint8Array, suite: CipherSuiteInfo, group: number): void {
    const ctx = this.#ctx;
    ctx.transcript.replaceWithMessageHash(suite.hash, raw);
    const hrr = encodeServerHello({
      legacyVersion: Version.TLS12,
      random: HRR_RANDOM,
      sessionId: ch.sessionId,
      cipherSuite: suite.id,
      compressionMethod: 0,
      extensions: [
        { type: ExtensionType.supported_versions, data: encodeU16(Version.TLS13) },
        { type: ExtensionType.key_share, data: encodeU16(group) },
      ],
    });
    ctx.sendHandshake(HandshakeType.server_hello, hrr);
    ctx.state("TLS server write hello retry request");
    this.#sendCcsOnce(ch);
    this.#state = { name: "ExpectRetriedClientHello", first: ch, group };
  }

  #readRetriedClientHello({ first, group }: ExpectRetriedClientHello, body: Uint8Array, raw: Uint8Array): void {
    const ch = parseClientHello(body);
    checkRetriedClientHello(first, ch, { group });
    const n = negotiate(ch, this.#policy);
    // The hello now carries one share, of a group we asked for and support.
    if (n.share === undefined) throw new TlsError(Alert.illegal_parameter, "second ClientHello lacks a usable share");
    this.#ctx.transcript.add(raw);
    this.#sendServerFlight(ch, n, n.share);
  }

  #sendCcsOnce(ch: ClientHello): void {
    // A client in compatibility mode says so with a non-empty session id (RFC 8446 §D.4).
    if (this.#ccsSent || !ch.sessionId.length || !this.#ctx.options.middleboxCompat) return;
    this.#ccsSent = true;
    this.#ctx.sendChangeCipherSpec();
  }

  /** Steps 2 to 5: everything the server says before the client's second flight. */
  #sendServerFlight(ch: ClientHello, n: Negotiation, clientShare: KeyShareEntry): void {
    const ctx = this.#ctx;
    const { crypto, config } = ctx;
    const suite = n.suite;
    const { group, shared } = this.#sendServerHello(ch, suite, clientShare);

    const hs = handshakeSecrets(crypto, suite, shared, ctx.transcript.hash(), ctx.secretTrace);
    ctx.keyLog("CLIENT_HANDSHAKE_TRAFFIC_SECRET", hs.clientHandshake);
    ctx.keyLog("SERVER_HANDSHAKE_TRAFFIC_SECRET", hs.serverHandshake);
    ctx.setWriteKeys(suite, hs.serverHandshake);
    ctx.setReadKeys(suite, hs.clientHandshake);

    this.#sendEncryptedExtensions(n);
    const certRequested = !!(config.requestClientCertificate || config.requireClientCertificate);
    if (certRequested) this.#sendCertificateRequest();
    this.#sendCertificate();
    this.#sendCertificateVerify(n.scheme);
    ctx.sendHandshake(
      HandshakeType.finished,
      finishedVerifyData(crypto, suite, hs.serverHandshake, ctx.transcript.hash()),
    );
    ctx.state("TLS server write finished");

    const app = applicationSecrets(crypto, suite, hs.master, ctx.transcript.hash(), ctx.secretTrace);
    ctx.setWriteKeys(suite, app.server);
    ctx.keyLog("CLIENT_TRAFFIC_SECRET_0", app.client);
    ctx.keyLog("SERVER_TRAFFIC_SECRET_0", app.server);
    ctx.keyLog("EXPORTER_SECRET", app.exporter);
    const established: Established = {
      agreed: n,
      suite,
      group,
      clientHandshakeSecret: hs.clientHandshake,
      clientApplicationSecret: app.client,
    };
    this.#state = certRequested
      ? { name: "ExpectClientCertificate", established }
      : { name: "ExpectClientFinished", established, peer: { certificates: [] } };
  }

  #sendServerHello(
    ch: ClientHello,
    suite: CipherSuiteInfo,
    clientShare: KeyShareEntry,
  ): { group: number; shared: Uint8Array } {
    const ctx = this.#ctx;
    let share: CompletedKeyShare;
    try {
      share = ctx.crypto.completeKeyShare(clientShare.group, clientShare.keyExchange);
    } catch (e) {
      throw new TlsError(Alert.illegal_parameter, `invalid client key share: ${(e as Error).message}`);
    }
    const sh = encodeServerHello({
      legacyVersion: Version.TLS12,
      random: ctx.crypto.random(32),
      sessionId: ch.sessionId,
      cipherSuite: suite.id,
      compressionMethod: 0,
      extensions: [
        {
          type: ExtensionType.key_share,
          data: encodeServerKeyShare({ group: clientShare.group, keyExchange: share.publicKey }),
        },
        { type: ExtensionType.supported_versions, data: encodeU16(Version.TLS13) },
      ],
    });
    ctx.sendHandshake(HandshakeType.server_hello, sh);
    ctx.state("TLS server write server hello");
    this.#sendCcsOnce(ch);
    return { group: clientShare.group, shared: share.secret };
  }

  #sendEncryptedExtensions(agreed: Agreed): void {
    const ctx = this.#ctx;
    let ee: Extension[] = [];
    // An empty server_name tells the client its SNI was used (RFC 6066 §3).
    if (agreed.serverName !== undefined) ee.push({ type: ExtensionType.server_name, data: new Uint8Array(0) });
    if (agreed.alpn) ee.push({ type: ExtensionType.alpn, data: encodeAlpn([agreed.alpn]) });
    if (ctx.options.encryptedExtensions) ee = ctx.options.encryptedExtensions(ee);
    ctx.sendHandshake(HandshakeType.encrypted_extensions, encodeExtensions(ee));
    ctx.state("TLS server write encrypted extensions");
  }

  #sendCertificateRequest(): void {
    const cr = encodeCertificateRequest({
      context: new Uint8Array(0),
      extensions: [{ type: ExtensionType.signature_algorithms, data: encodeU16List(CERTIFICATE_VERIFY_SCHEMES) }],
    });
    this.#ctx.sendHandshake(HandshakeType.certificate_request, cr);
    this.#ctx.state("TLS server write certificate request");
  }

  #sendCertificate(): void {
    const bodies = this.#creds.certificateBodies;
    bodies.tls13 ??= encodeCertificate(new Uint8Array(0), this.#creds.chain);
    this.#ctx.sendHandshake(HandshakeType.certificate, bodies.tls13);
    this.#ctx.state("TLS server write certificate");
  }

  #sendCertificateVerify(scheme: number): void {
    const ctx = this.#ctx;
    const content = certificateVerifyContent("server", ctx.transcript.hash());
    const signature = ctx.crypto.sign(scheme, this.#creds.key, content);
    ctx.sendHandshake(HandshakeType.certificate_verify, encodeCertificateVerify(scheme, signature));
    ctx.state("TLS server write certificate verify");
  }

  #readClientCertificate({ established }: ExpectClientCertificate, body: Uint8Array, raw: Uint8Array): void {
    const ctx = this.#ctx;
    const msg = parseCertificate(body);
    if (msg.context.length) throw new TlsError(Alert.illegal_parameter, "client certificate context does not match");
    // RFC 8446 §4.4.2: entry extensions must answer our CertificateRequest, which solicits none.
    const unsolicited = msg.entries.find((e) => e.extensions.length)?.extensions[0];
    if (unsolicited) {
      throw new TlsError(
        Alert.unsupported_extension,
        `client certificate carries unsolicited extension ${unsolicited.type}`,
      );
    }
    if (!msg.certificates.length) {
      if (ctx.config.requireClientCertificate) {
        throw new TlsError(Alert.certificate_required, "client did not send a certificate");
      }
      ctx.transcript.add(raw);
      ctx.state("TLS server read client certificate (none)");
      this.#state = { name: "ExpectClientFinished", established, peer: { certificates: [] } };
      return;
    }
    verifyPeerChain(msg.certificates, ctx.config, "client");
    ctx.transcript.add(raw);
    ctx.state("TLS server read client certificate");
    this.#state = { name: "ExpectClientCertificateVerify", established, certificates: msg.certificates };
  }

  #readClientCertificateVerify(
    { established, certificates }: ExpectClientCertificateVerify,
    body: Uint8Array,
    raw: Uint8Array,
  ): void {
    const ctx = this.#ctx;
    const { scheme, signature } = parseCertificateVerify(body);
    if (!CERTIFICATE_VERIFY_SCHEMES.includes(scheme)) {
      throw new TlsError(
        Alert.illegal_parameter,
        `client signed with a scheme we did not offer (0x${scheme.toString(16)})`,
      );
    }
    const content = certificateVerifyContent("client", ctx.transcript.hash());
    if (!ctx.crypto.verify(scheme, certificates[0], content, signature)) {
      throw new TlsError(Alert.decrypt_error, "client CertificateVerify signature is invalid");
    }
    ctx.transcript.add(raw);
    ctx.state("TLS server read client certificate verify");
    this.#state = { name: "ExpectClientFinished", established, peer: { certificates, scheme } };
  }

  #readClientFinished({ established, peer }: ExpectClientFinished, body: Uint8Array, raw: Uint8Array): void {
    const ctx = this.#ctx;
    const { suite, agreed } = established;
    const expected = finishedVerifyData(ctx.crypto, suite, established.clientHandshakeSecret, ctx.transcript.hash());
    verifyFinished(expected, body, "client");
    ctx.transcript.add(raw);
    this.peerFinished = true;
    ctx.state("TLS server read finished");
    ctx.setReadKeys(suite, established.clientApplicationSecret);
    this.#state = { name: "Done" };
    ctx.complete({
      protocol: "TLSv1.3",
      cipher: suite.name,
      group: groupName(established.group),
      signatureScheme: peer.scheme !== undefined ? SIGNATURE_SCHEME_NAMES[peer.scheme] : undefined,
      peerCertificates: peer.certificates,
      alpn: agreed.alpn,
      serverName: agreed.serverName,
    });
  }
}
