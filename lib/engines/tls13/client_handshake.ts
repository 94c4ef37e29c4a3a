/**
 * The client side of the TLS 1.3 handshake (RFC 8446 §2, §4): ClientHello,
 * HelloRetryRequest handling, server authentication, optional client
 * authentication, Finished.
 *
 * @module
 */

import { Alert, TlsError } from "../../ssl/alerts.ts";
import { isIpLiteral } from "../../pki/x509.ts";
import { constantTimeEqual, equalBytes } from "../../protocol/bytes.ts";
import {
  CERTIFICATE_SCHEMES,
  CERTIFICATE_VERIFY_SCHEMES,
  type CipherSuiteInfo,
  ExtensionType,
  HandshakeType,
  HRR_RANDOM,
  SIGNATURE_SCHEME_NAMES,
  suiteById,
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
import type { KeyShare } from "../../crypto/provider.ts";
import { applicationSecrets, finishedVerifyData, type HandshakeSecrets, handshakeSecrets } from "./key_schedule.ts";
import {
  certificateVerifyContent,
  type ClientHello,
  encodeAlpn,
  encodeCertificate,
  encodeCertificateVerify,
  encodeClientHello,
  encodeClientKeyShares,
  encodeServerName,
  encodeSupportedVersions,
  encodeU16List,
  type Extension,
  findExtension,
  parseAlpn,
  parseCertificate,
  parseCertificateRequest,
  parseCertificateVerify,
  parseExtensions,
  parseServerHello,
  parseServerKeyShare,
  parseU16,
  parseU16List,
} from "../../protocol/messages.ts";

type State = "start" | "wait_sh" | "wait_ee" | "wait_cert_cr" | "wait_cert" | "wait_cv" | "wait_finished" | "done";

// Extensions a server may put in EncryptedExtensions (RFC 8446 §4.2 table).
const EE_ALLOWED = new Set<number>([
  ExtensionType.server_name,
  ExtensionType.max_fragment_length,
  ExtensionType.supported_groups,
  ExtensionType.use_srtp,
  ExtensionType.heartbeat,
  ExtensionType.alpn,
  ExtensionType.client_certificate_type,
  ExtensionType.server_certificate_type,
  ExtensionType.early_data,
  ExtensionType.record_size_limit,
]);

/**
 * Client handshake state machine.
 *
 * @example
 * ```ts
 * const hs = new ClientHandshake(ctx);
 * hs.start(); // ClientHello goes out through ctx.sendHandshake
 * ```
 */
export class ClientHandshake implements RoleHandshake {
  readonly #ctx: HandshakeContext;
  #state: State = "start";
  #random: Uint8Array = new Uint8Array(0);
  #sessionId: Uint8Array = new Uint8Array(0);
  #shares: KeyShare[] = [];
  #hello: ClientHello | undefined;
  #hello1Raw: Uint8Array = new Uint8Array(0);
  #offered = new Set<number>();
  #hrrSuite: CipherSuiteInfo | undefined;
  #suite: CipherSuiteInfo | undefined;
  #group = 0;
  #secrets: HandshakeSecrets | undefined;
  #ccsSent = false;
  #certRequest: { context: Uint8Array; schemes: number[] } | undefined;
  #peerCerts: Uint8Array[] = [];
  #peerScheme: number | undefined;
  #alpn: string | undefined;
  #creds: Credentials | undefined;
  helloSeen = false;
  peerFinished = false;

  /** ClientHello.random, which names the secrets in key log lines. */
  get clientRandom(): Uint8Array {
    return this.#random;
  }

  constructor(ctx: HandshakeContext) {
    this.#ctx = ctx;
    this.#creds = loadCredentials(ctx.config, ctx.crypto);
  }

  start(): void {
    if (this.#state !== "start") return;
    const { crypto, options } = this.#ctx;
    this.#random = crypto.random(32);
    this.#sessionId = options.middleboxCompat ? crypto.random(32) : new Uint8Array(0);
    this.#shares = options.keyShareGroups.map((g) => crypto.generateKeyShare(g));
    this.#hello = {
      legacyVersion: Version.TLS12,
      random: this.#random,
      sessionId: this.#sessionId,
      cipherSuites: options.suites.map((s) => s.id),
      compressionMethods: new Uint8Array([0]),
      extensions: this.#extensions(),
    };
    this.#hello1Raw = this.#sendHello(0x0301);
    this.helloSeen = true;
    this.#state = "wait_sh";
    this.#ctx.state("TLS client write client hello");
  }

  #extensions(cookie?: Uint8Array): Extension[] {
    const { config, options } = this.#ctx;
    const exts: Extension[] = [];
    const host = config.serverName;
    if (host && !isIpLiteral(host)) exts.push({ type: ExtensionType.server_name, data: encodeServerName(host) });
    exts.push({ type: ExtensionType.supported_groups, data: encodeU16List(options.groups) });
    exts.push({ type: ExtensionType.signature_algorithms, data: encodeU16List(CERTIFICATE_VERIFY_SCHEMES) });
    exts.push({ type: ExtensionType.signature_algorithms_cert, data: encodeU16List(CERTIFICATE_SCHEMES) });
    exts.push({ type: ExtensionType.supported_versions, data: encodeSupportedVersions([Version.TLS13]) });
    // psk_dhe_ke: lets servers send tickets (which we accept and drop) as they do for OpenSSL clients.
    exts.push({ type: ExtensionType.psk_key_exchange_modes, data: new Uint8Array([1, 1]) });
    if (config.alpnProtocols?.length) exts.push({ type: ExtensionType.alpn, data: encodeAlpn(config.alpnProtocols) });
    if (cookie) exts.push({ type: ExtensionType.cookie, data: cookie });
    exts.push({
      type: ExtensionType.key_share,
      data: encodeClientKeyShares(this.#shares.map((s) => ({ group: s.group, keyExchange: s.publicKey }))),
    });
    return options.clientHelloExtensions ? options.clientHelloExtensions(exts) : exts;
  }

  #sendHello(recordVersion: number): Uint8Array {
    const hello = this.#hello!;
    this.#offered = new Set(hello.extensions.map((e) => e.type));
    return this.#ctx.sendHandshake(HandshakeType.client_hello, encodeClientHello(hello), recordVersion);
  }

  handle(type: number, body: Uint8Array, raw: Uint8Array): void {
    switch (this.#state) {
      case "wait_sh":
        if (type === HandshakeType.server_hello) return this.#onServerHello(body, raw);
        break;
      case "wait_ee":
        if (type === HandshakeType.encrypted_extensions) return this.#onEncryptedExtensions(body, raw);
        break;
      case "wait_cert_cr":
        if (type === HandshakeType.certificate_request) return this.#onCertificateRequest(body, raw);
        if (type === HandshakeType.certificate) return this.#onCertificate(body, raw);
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

  #checkExtensions(exts: Extension[], allowed: number[], what: string): void {
    for (const e of exts) {
      if (!this.#offered.has(e.type)) {
        throw new TlsError(Alert.unsupported_extension, `unsolicited extension ${e.type} in ${what}`);
      }
      if (!allowed.includes(e.type)) {
        throw new TlsError(Alert.illegal_parameter, `extension ${e.type} not allowed in ${what}`);
      }
    }
  }

  #onServerHello(body: Uint8Array, raw: Uint8Array): void {
    const sh = parseServerHello(body);
    const isHrr = equalBytes(sh.random, HRR_RANDOM);
    const sv = findExtension(sh.extensions, ExtensionType.supported_versions);
    if (!sv) throw new TlsError(Alert.protocol_version, "server did not negotiate TLS 1.3");
    if (parseU16(sv) !== Version.TLS13) {
      throw new TlsError(Alert.illegal_parameter, "server selected a version we did not offer");
    }
    if (sh.legacyVersion !== Version.TLS12) {
      throw new TlsError(Alert.illegal_parameter, "bad ServerHello legacy_version");
    }
    if (!equalBytes(sh.sessionId, this.#sessionId)) {
      throw new TlsError(Alert.illegal_parameter, "session id not echoed");
    }
    if (sh.compressionMethod !== 0) throw new TlsError(Alert.illegal_parameter, "compression selected");
    const suite = suiteById(sh.cipherSuite);
    if (!suite || !this.#hello!.cipherSuites.includes(sh.cipherSuite)) {
      throw new TlsError(Alert.illegal_parameter, "server selected a cipher suite we did not offer");
    }
    if (isHrr) return this.#onHelloRetryRequest(sh.extensions, suite, raw);
    this.#checkExtensions(sh.extensions, [ExtensionType.key_share, ExtensionType.supported_versions], "ServerHello");
    if (this.#hrrSuite && this.#hrrSuite !== suite) {
      throw new TlsError(Alert.illegal_parameter, "suite changed after HelloRetryRequest");
    }
    const ksData = findExtension(sh.extensions, ExtensionType.key_share);
    if (!ksData) throw new TlsError(Alert.missing_extension, "ServerHello without key_share");
    const ks = parseServerKeyShare(ksData);
    const share = this.#shares.find((s) => s.group === ks.group);
    if (!share) throw new TlsError(Alert.illegal_parameter, "server key share for a group we did not send");
    let shared: Uint8Array;
    try {
      shared = share.agree(ks.keyExchange);
    } catch (e) {
      throw new TlsError(Alert.illegal_parameter, `invalid server key share: ${(e as Error).message}`);
    }
    this.#suite = suite;
    this.#group = share.group;
    const ctx = this.#ctx;
    ctx.transcript.select(suite.hash);
    ctx.transcript.add(raw);
    ctx.state("TLS client read server hello");
    const hs = this.#secrets = handshakeSecrets(ctx.crypto, suite, shared, ctx.transcript.hash());
    ctx.keyLog("CLIENT_HANDSHAKE_TRAFFIC_SECRET", hs.clientHandshake);
    ctx.keyLog("SERVER_HANDSHAKE_TRAFFIC_SECRET", hs.serverHandshake);
    ctx.setReadKeys(suite, hs.serverHandshake);
    // Write keys now too, so an alert about the server's flight is protected as the server expects.
    ctx.setWriteKeys(suite, hs.clientHandshake);
    this.#state = "wait_ee";
  }

  #onHelloRetryRequest(exts: Extension[], suite: CipherSuiteInfo, raw: Uint8Array): void {
    if (this.#hrrSuite) throw new TlsError(Alert.unexpected_message, "second HelloRetryRequest");
    this.#checkExtensions(
      exts,
      [ExtensionType.key_share, ExtensionType.supported_versions, ExtensionType.cookie],
      "HelloRetryRequest",
    );
    const ks = findExtension(exts, ExtensionType.key_share);
    const cookie = findExtension(exts, ExtensionType.cookie);
    const ctx = this.#ctx;
    if (ks) {
      const group = parseU16(ks);
      if (!ctx.options.groups.includes(group) || this.#shares.some((s) => s.group === group)) {
        throw new TlsError(Alert.illegal_parameter, "HelloRetryRequest asked for an unusable group");
      }
      this.#shares = [ctx.crypto.generateKeyShare(group)];
    } else if (!cookie) {
      throw new TlsError(Alert.illegal_parameter, "HelloRetryRequest would not change the ClientHello");
    }
    this.#hrrSuite = suite;
    ctx.transcript.replaceWithMessageHash(suite.hash, this.#hello1Raw);
    ctx.transcript.add(raw);
    ctx.state("TLS client read hello retry request");
    this.#hello = { ...this.#hello!, extensions: this.#extensions(cookie) };
    this.#sendCcsOnce();
    this.#sendHello(0x0303);
    ctx.state("TLS client write client hello");
  }

  #sendCcsOnce(): void {
    if (this.#ccsSent || !this.#ctx.options.middleboxCompat) return;
    this.#ccsSent = true;
    this.#ctx.sendChangeCipherSpec();
  }

  #onEncryptedExtensions(body: Uint8Array, raw: Uint8Array): void {
    const exts = parseExtensions(body);
    for (const e of exts) {
      if (!this.#offered.has(e.type)) {
        throw new TlsError(Alert.unsupported_extension, `unsolicited extension ${e.type}`);
      }
      if (!EE_ALLOWED.has(e.type)) {
        throw new TlsError(Alert.illegal_parameter, `extension ${e.type} not allowed in EncryptedExtensions`);
      }
    }
    const sni = findExtension(exts, ExtensionType.server_name);
    if (sni && sni.length) throw new TlsError(Alert.decode_error, "server_name in EncryptedExtensions must be empty");
    const alpn = findExtension(exts, ExtensionType.alpn);
    if (alpn) {
      const list = parseAlpn(alpn);
      if (list.length !== 1 || !this.#ctx.config.alpnProtocols?.includes(list[0])) {
        throw new TlsError(Alert.illegal_parameter, "server selected an ALPN protocol we did not offer");
      }
      this.#alpn = list[0];
    }
    this.#ctx.transcript.add(raw);
    this.#ctx.state("TLS client read encrypted extensions");
    this.#state = "wait_cert_cr";
  }

  #onCertificateRequest(body: Uint8Array, raw: Uint8Array): void {
    const cr = parseCertificateRequest(body);
    if (cr.context.length) {
      throw new TlsError(Alert.illegal_parameter, "non-empty context in handshake CertificateRequest");
    }
    const sa = findExtension(cr.extensions, ExtensionType.signature_algorithms);
    if (!sa) throw new TlsError(Alert.missing_extension, "CertificateRequest without signature_algorithms");
    this.#certRequest = { context: cr.context, schemes: parseU16List(sa) };
    this.#ctx.transcript.add(raw);
    this.#ctx.state("TLS client read server certificate request");
    this.#state = "wait_cert";
  }

  #onCertificate(body: Uint8Array, raw: Uint8Array): void {
    const msg = parseCertificate(body);
    if (msg.context.length) throw new TlsError(Alert.illegal_parameter, "non-empty server certificate context");
    if (!msg.certificates.length) throw new TlsError(Alert.decode_error, "server sent no certificate");
    verifyPeerChain(msg.certificates, this.#ctx.config, "server");
    this.#peerCerts = msg.certificates;
    this.#ctx.transcript.add(raw);
    this.#ctx.state("TLS client read server certificate");
    this.#state = "wait_cv";
  }

  #onCertificateVerify(body: Uint8Array, raw: Uint8Array): void {
    const { scheme, signature } = parseCertificateVerify(body);
    if (!CERTIFICATE_VERIFY_SCHEMES.includes(scheme)) {
      throw new TlsError(
        Alert.illegal_parameter,
        `server signed with a scheme we did not offer (0x${scheme.toString(16)})`,
      );
    }
    const ctx = this.#ctx;
    const content = certificateVerifyContent("server", ctx.transcript.hash());
    if (!ctx.crypto.verify(scheme, this.#peerCerts[0], content, signature)) {
      throw new TlsError(Alert.decrypt_error, "server CertificateVerify signature is invalid");
    }
    this.#peerScheme = scheme;
    ctx.transcript.add(raw);
    ctx.state("TLS client read server certificate verify");
    this.#state = "wait_finished";
  }

  #onFinished(body: Uint8Array, raw: Uint8Array): void {
    const ctx = this.#ctx;
    const suite = this.#suite!, hs = this.#secrets!;
    const expected = finishedVerifyData(ctx.crypto, suite, hs.serverHandshake, ctx.transcript.hash());
    if (!constantTimeEqual(expected, body)) throw new TlsError(Alert.decrypt_error, "server Finished is invalid");
    ctx.transcript.add(raw);
    this.peerFinished = true;
    ctx.state("TLS client read finished");
    const app = applicationSecrets(ctx.crypto, suite, hs.master, ctx.transcript.hash());
    ctx.setReadKeys(suite, app.server);
    this.#sendCcsOnce();
    if (this.#certRequest) this.#sendClientCertificate(this.#certRequest);
    const verify = finishedVerifyData(ctx.crypto, suite, hs.clientHandshake, ctx.transcript.hash());
    ctx.sendHandshake(HandshakeType.finished, verify);
    ctx.state("TLS client write finished");
    ctx.setWriteKeys(suite, app.client);
    ctx.keyLog("CLIENT_TRAFFIC_SECRET_0", app.client);
    ctx.keyLog("SERVER_TRAFFIC_SECRET_0", app.server);
    ctx.keyLog("EXPORTER_SECRET", app.exporter);
    this.#state = "done";
    ctx.complete({
      protocol: "TLSv1.3",
      cipher: suite.name,
      group: groupName(this.#group),
      signatureScheme: this.#peerScheme !== undefined ? SIGNATURE_SCHEME_NAMES[this.#peerScheme] : undefined,
      peerCertificates: this.#peerCerts,
      alpn: this.#alpn,
    });
  }

  #sendClientCertificate(cr: { context: Uint8Array; schemes: number[] }): void {
    const ctx = this.#ctx;
    const creds = this.#creds;
    const scheme = creds ? chooseScheme(cr.schemes, creds.key) : undefined;
    if (!creds || scheme === undefined) {
      ctx.sendHandshake(HandshakeType.certificate, encodeCertificate(cr.context, []));
      ctx.state("TLS client write certificate (none)");
      return;
    }
    ctx.sendHandshake(HandshakeType.certificate, encodeCertificate(cr.context, creds.chain));
    ctx.state("TLS client write certificate");
    const content = certificateVerifyContent("client", ctx.transcript.hash());
    ctx.sendHandshake(
      HandshakeType.certificate_verify,
      encodeCertificateVerify(scheme, ctx.crypto.sign(scheme, creds.key, content)),
    );
    ctx.state("TLS client write certificate verify");
  }
}
