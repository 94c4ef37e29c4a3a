/**
 * The server side of the TLS 1.3 handshake (RFC 8446 §2, §4): ClientHello
 * negotiation, HelloRetryRequest, the server flight, and optional client
 * authentication.
 *
 * Pre-shared keys and early data offered by a client are ignored: the
 * server always runs a full (EC)DHE handshake, which RFC 8446 allows.
 *
 * @module
 */

import { Alert, TlsError } from "../../ssl/alerts.ts";
import { constantTimeEqual, equalBytes } from "../../protocol/bytes.ts";
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
  chooseScheme,
  type Credentials,
  groupName,
  type HandshakeContext,
  loadCredentials,
  type RoleHandshake,
  verifyPeerChain,
} from "./context.ts";
import { selectGroup } from "./group_policy.ts";
import type { CompletedKeyShare } from "../../crypto/provider.ts";
import {
  type ApplicationSecrets,
  applicationSecrets,
  finishedVerifyData,
  type HandshakeSecrets,
  handshakeSecrets,
} from "./key_schedule.ts";
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
  findExtension,
  type KeyShareEntry,
  parseAlpn,
  parseCertificate,
  parseCertificateVerify,
  parseClientHello,
  parseClientKeyShares,
  parseServerName,
  parseSupportedVersions,
  parseU16List,
} from "../../protocol/messages.ts";

type State = "wait_ch" | "wait_ch2" | "wait_cert" | "wait_cv" | "wait_finished" | "done";

/** What was decided from a ClientHello. */
interface Negotiated {
  suite: CipherSuiteInfo;
  scheme: number;
  /** The client's share we use, or undefined when a HelloRetryRequest is needed. */
  share?: KeyShareEntry;
  /** The group to ask for in a HelloRetryRequest. */
  retryGroup?: number;
  serverName?: string;
  alpn?: string;
}

/**
 * Server handshake state machine.
 *
 * @example
 * ```ts
 * const hs = new ServerHandshake(ctx); // throws TlsError(internal_error) without a certificate and key
 * hs.handle(HandshakeType.client_hello, body, raw);
 * ```
 */
export class ServerHandshake implements RoleHandshake {
  readonly #ctx: HandshakeContext;
  readonly #creds: Credentials;
  #state: State = "wait_ch";
  #hello1: ClientHello | undefined;
  #hello1Raw: Uint8Array = new Uint8Array(0);
  #retryGroup = 0;
  #retrySuite: CipherSuiteInfo | undefined;
  #ccsSent = false;
  #random: Uint8Array = new Uint8Array(0);
  #suite: CipherSuiteInfo | undefined;
  #group = 0;
  #secrets: HandshakeSecrets | undefined;
  #app: ApplicationSecrets | undefined;
  #negotiated: Negotiated | undefined;
  #certRequested = false;
  #peerCerts: Uint8Array[] = [];
  #peerScheme: number | undefined;
  helloSeen = false;
  peerFinished = false;

  constructor(ctx: HandshakeContext) {
    this.#ctx = ctx;
    const creds = loadCredentials(ctx.config, ctx.crypto);
    if (!creds) throw new TlsError(Alert.internal_error, "a TLS server needs certificateChain and privateKey");
    this.#creds = creds;
  }

  /** ClientHello.random, which names the secrets in key log lines. */
  get clientRandom(): Uint8Array {
    return this.#random;
  }

  start(): void {}

  handle(type: number, body: Uint8Array, raw: Uint8Array): void {
    switch (this.#state) {
      case "wait_ch":
      case "wait_ch2":
        if (type === HandshakeType.client_hello) return this.#onClientHello(body, raw);
        break;
      case "wait_cert":
        if (type === HandshakeType.certificate) return this.#onCertificate(body, raw);
        break;
      case "wait_cv":
        if (type === HandshakeType.certificate_verify) return this.#onCertificateVerify(body, raw);
        break;
      case "wait_finished":
        if (type === HandshakeType.finished) return this.#onFinished(body, raw);
        break;
    }
    throw new TlsError(Alert.unexpected_message, `unexpected handshake message ${type} in state ${this.#state}`);
  }

  #negotiate(ch: ClientHello): Negotiated {
    const { options, config } = this.#ctx;
    const sv = findExtension(ch.extensions, ExtensionType.supported_versions);
    if (!sv || !parseSupportedVersions(sv).includes(Version.TLS13)) {
      throw new TlsError(Alert.protocol_version, "client does not offer TLS 1.3");
    }
    if (ch.compressionMethods.length !== 1 || ch.compressionMethods[0] !== 0) {
      throw new TlsError(Alert.illegal_parameter, "TLS 1.3 ClientHello must offer only null compression");
    }
    const suite = options.suites.find((s) => ch.cipherSuites.includes(s.id));
    if (!suite) throw new TlsError(Alert.handshake_failure, "no cipher suite in common");

    const sa = findExtension(ch.extensions, ExtensionType.signature_algorithms);
    if (!sa) throw new TlsError(Alert.missing_extension, "ClientHello without signature_algorithms");
    const scheme = chooseScheme(parseU16List(sa), this.#creds.key);
    if (scheme === undefined) throw new TlsError(Alert.handshake_failure, "no signature scheme in common with our key");

    const sg = findExtension(ch.extensions, ExtensionType.supported_groups);
    const ks = findExtension(ch.extensions, ExtensionType.key_share);
    if (!sg || !ks) throw new TlsError(Alert.missing_extension, "ClientHello without supported_groups or key_share");
    const { share, retryGroup } = selectGroup(options.groups, parseU16List(sg), parseClientKeyShares(ks));

    const sni = findExtension(ch.extensions, ExtensionType.server_name);
    const serverName = sni ? parseServerName(sni) : undefined;

    let alpn: string | undefined;
    const alpnData = findExtension(ch.extensions, ExtensionType.alpn);
    if (alpnData && config.alpnProtocols?.length) {
      const offered = parseAlpn(alpnData);
      alpn = config.alpnProtocols.find((p) => offered.includes(p));
      if (!alpn) throw new TlsError(Alert.no_application_protocol, "no ALPN protocol in common");
    }
    return { suite, scheme, share, retryGroup, serverName, alpn };
  }

  #onClientHello(body: Uint8Array, raw: Uint8Array): void {
    const ctx = this.#ctx;
    const ch = parseClientHello(body);
    this.helloSeen = true;
    const n = this.#negotiate(ch);
    if (this.#state === "wait_ch2") {
      const first = this.#hello1!;
      if (!equalBytes(ch.sessionId, first.sessionId) || !equalBytes(ch.random, first.random)) {
        throw new TlsError(Alert.illegal_parameter, "second ClientHello changed random or session id");
      }
      if (n.suite !== this.#retrySuite) {
        throw new TlsError(Alert.illegal_parameter, "second ClientHello changed the cipher suite");
      }
      const shares = parseClientKeyShares(findExtension(ch.extensions, ExtensionType.key_share)!);
      if (shares.length !== 1 || shares[0].group !== this.#retryGroup) {
        throw new TlsError(Alert.illegal_parameter, "second ClientHello lacks the requested key share");
      }
      ctx.transcript.add(raw);
    } else {
      this.#random = ch.random.slice();
      ctx.state("TLS server read client hello");
      // We never accept early data (no resumption): the client learns it from our ServerHello.
      if (findExtension(ch.extensions, ExtensionType.early_data)) ctx.ignoreEarlyData();
      if (!n.share) return this.#sendHelloRetryRequest(ch, raw, n);
      ctx.transcript.select(n.suite.hash);
      ctx.transcript.add(raw);
    }
    this.#negotiated = n;
    this.#sendServerFlight(ch, n);
  }

  #sendHelloRetryRequest(ch: ClientHello, raw: Uint8Array, n: Negotiated): void {
    const ctx = this.#ctx;
    this.#hello1 = ch;
    this.#hello1Raw = raw;
    this.#retryGroup = n.retryGroup!;
    this.#retrySuite = n.suite;
    ctx.transcript.replaceWithMessageHash(n.suite.hash, this.#hello1Raw);
    const hrr = encodeServerHello({
      legacyVersion: Version.TLS12,
      random: HRR_RANDOM,
      sessionId: ch.sessionId,
      cipherSuite: n.suite.id,
      compressionMethod: 0,
      extensions: [
        { type: ExtensionType.supported_versions, data: encodeU16(Version.TLS13) },
        { type: ExtensionType.key_share, data: encodeU16(this.#retryGroup) },
      ],
    });
    ctx.sendHandshake(HandshakeType.server_hello, hrr);
    ctx.state("TLS server write hello retry request");
    this.#sendCcsOnce(ch);
    this.#state = "wait_ch2";
  }

  #sendCcsOnce(ch: ClientHello): void {
    // A client in compatibility mode says so with a non-empty session id (RFC 8446 §D.4).
    if (this.#ccsSent || !ch.sessionId.length || !this.#ctx.options.middleboxCompat) return;
    this.#ccsSent = true;
    this.#ctx.sendChangeCipherSpec();
  }

  #sendServerFlight(ch: ClientHello, n: Negotiated): void {
    const ctx = this.#ctx;
    const { crypto, config, options } = ctx;
    const suite = this.#suite = n.suite;
    const clientShare = n.share ?? parseClientKeyShares(findExtension(ch.extensions, ExtensionType.key_share)!)[0];
    let share: CompletedKeyShare;
    try {
      share = crypto.completeKeyShare(clientShare.group, clientShare.keyExchange);
    } catch (e) {
      throw new TlsError(Alert.illegal_parameter, `invalid client key share: ${(e as Error).message}`);
    }
    const shared = share.secret;
    this.#group = clientShare.group;
    const sh = encodeServerHello({
      legacyVersion: Version.TLS12,
      random: crypto.random(32),
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

    const hs = this.#secrets = handshakeSecrets(crypto, suite, shared, ctx.transcript.hash());
    ctx.keyLog("CLIENT_HANDSHAKE_TRAFFIC_SECRET", hs.clientHandshake);
    ctx.keyLog("SERVER_HANDSHAKE_TRAFFIC_SECRET", hs.serverHandshake);
    ctx.setWriteKeys(suite, hs.serverHandshake);
    ctx.setReadKeys(suite, hs.clientHandshake);

    let ee: Extension[] = [];
    // An empty server_name tells the client its SNI was used (RFC 6066 §3).
    if (n.serverName !== undefined) ee.push({ type: ExtensionType.server_name, data: new Uint8Array(0) });
    if (n.alpn) ee.push({ type: ExtensionType.alpn, data: encodeAlpn([n.alpn]) });
    if (options.encryptedExtensions) ee = options.encryptedExtensions(ee);
    ctx.sendHandshake(HandshakeType.encrypted_extensions, encodeExtensions(ee));
    ctx.state("TLS server write encrypted extensions");

    if (config.requestClientCertificate || config.requireClientCertificate) {
      this.#certRequested = true;
      const cr = encodeCertificateRequest({
        context: new Uint8Array(0),
        extensions: [{ type: ExtensionType.signature_algorithms, data: encodeU16List(CERTIFICATE_VERIFY_SCHEMES) }],
      });
      ctx.sendHandshake(HandshakeType.certificate_request, cr);
      ctx.state("TLS server write certificate request");
    }

    ctx.sendHandshake(HandshakeType.certificate, encodeCertificate(new Uint8Array(0), this.#creds.chain));
    ctx.state("TLS server write certificate");
    const content = certificateVerifyContent("server", ctx.transcript.hash());
    const signature = crypto.sign(n.scheme, this.#creds.key, content);
    ctx.sendHandshake(HandshakeType.certificate_verify, encodeCertificateVerify(n.scheme, signature));
    ctx.state("TLS server write certificate verify");
    const verify = finishedVerifyData(crypto, suite, hs.serverHandshake, ctx.transcript.hash());
    ctx.sendHandshake(HandshakeType.finished, verify);
    ctx.state("TLS server write finished");

    const app = this.#app = applicationSecrets(crypto, suite, hs.master, ctx.transcript.hash());
    ctx.setWriteKeys(suite, app.server);
    ctx.keyLog("CLIENT_TRAFFIC_SECRET_0", app.client);
    ctx.keyLog("SERVER_TRAFFIC_SECRET_0", app.server);
    ctx.keyLog("EXPORTER_SECRET", app.exporter);
    this.#state = this.#certRequested ? "wait_cert" : "wait_finished";
  }

  #onCertificate(body: Uint8Array, raw: Uint8Array): void {
    const ctx = this.#ctx;
    const msg = parseCertificate(body);
    if (msg.context.length) throw new TlsError(Alert.illegal_parameter, "client certificate context does not match");
    if (!msg.certificates.length) {
      if (ctx.config.requireClientCertificate) {
        throw new TlsError(Alert.certificate_required, "client did not send a certificate");
      }
      ctx.transcript.add(raw);
      ctx.state("TLS server read client certificate (none)");
      this.#state = "wait_finished";
      return;
    }
    verifyPeerChain(msg.certificates, ctx.config, "client");
    this.#peerCerts = msg.certificates;
    ctx.transcript.add(raw);
    ctx.state("TLS server read client certificate");
    this.#state = "wait_cv";
  }

  #onCertificateVerify(body: Uint8Array, raw: Uint8Array): void {
    const ctx = this.#ctx;
    const { scheme, signature } = parseCertificateVerify(body);
    if (!CERTIFICATE_VERIFY_SCHEMES.includes(scheme)) {
      throw new TlsError(
        Alert.illegal_parameter,
        `client signed with a scheme we did not offer (0x${scheme.toString(16)})`,
      );
    }
    const content = certificateVerifyContent("client", ctx.transcript.hash());
    if (!ctx.crypto.verify(scheme, this.#peerCerts[0], content, signature)) {
      throw new TlsError(Alert.decrypt_error, "client CertificateVerify signature is invalid");
    }
    this.#peerScheme = scheme;
    ctx.transcript.add(raw);
    ctx.state("TLS server read client certificate verify");
    this.#state = "wait_finished";
  }

  #onFinished(body: Uint8Array, raw: Uint8Array): void {
    const ctx = this.#ctx;
    const suite = this.#suite!;
    const expected = finishedVerifyData(ctx.crypto, suite, this.#secrets!.clientHandshake, ctx.transcript.hash());
    if (!constantTimeEqual(expected, body)) throw new TlsError(Alert.decrypt_error, "client Finished is invalid");
    ctx.transcript.add(raw);
    this.peerFinished = true;
    ctx.state("TLS server read finished");
    ctx.setReadKeys(suite, this.#app!.client);
    this.#state = "done";
    const n = this.#negotiated!;
    ctx.complete({
      protocol: "TLSv1.3",
      cipher: suite.name,
      group: groupName(this.#group),
      signatureScheme: this.#peerScheme !== undefined ? SIGNATURE_SCHEME_NAMES[this.#peerScheme] : undefined,
      peerCertificates: this.#peerCerts,
      alpn: n.alpn,
      serverName: n.serverName,
    });
  }
}
